// What the two replayed clients share: an HTTPS client to the emulator (a
// keep-alive connection, or a new one per request), and the Node and its
// conditions built by the firmware's own pure model code (src/k8s), so the
// replays send the same objects picokubelet sends, only differently.
import { readFileSync } from "node:fs"
import { Agent, request } from "node:https"
import type { ApiServer } from "../tools/apiserver"
import { ConditionTracker, deriveConditions } from "../src/k8s/conditions"
import { NodeIdentity, registrationBody } from "../src/k8s/bodies"
import { NODES_PATH } from "../src/k8s/paths"
import { settingDefault } from "../src/settings/settings"

export interface ReplayOptions {
    token: string
    userAgent: string
    /** One keep-alive connection (true) or a new TLS connection per request (Connection: close). */
    keepAlive: boolean
}

/** Where a replay sends its requests: the emulator, or a proxy in front of a real API server. */
export type ReplayServer = Pick<ApiServer, "url" | "caFile">

/** A replayed client's steady state, one request (or cycle) per call. */
export interface ReplaySteps {
    renew(): Promise<void>
    postStatus(): Promise<void>
}

/** `step` `times` times, one after another. */
export async function repeat(times: number, step: () => Promise<void>) {
    for (let i = 0; i < times; i++) await step()
}

export class ReplayClient {
    private readonly agent: Agent | false
    private readonly ca: Buffer
    private readonly url: URL

    constructor(
        server: ReplayServer,
        private readonly opts: ReplayOptions
    ) {
        this.url = new URL(server.url)
        this.ca = readFileSync(server.caFile!)
        this.agent = opts.keepAlive ? new Agent({ keepAlive: true, maxSockets: 1 }) : false
    }

    /** One request; anything but 2xx is an error (a replay that fails measures nothing). */
    call(method: string, path: string, body?: string, contentType = "application/json"): Promise<any> {
        const headers: Record<string, string> = {
            Authorization: `Bearer ${this.opts.token}`,
            Accept: "application/json",
            "User-Agent": this.opts.userAgent,
        }
        if (body !== undefined) headers["Content-Type"] = contentType
        return new Promise((resolve, reject) => {
            const req = request(
                { host: this.url.hostname, port: this.url.port, method, path, ca: this.ca, agent: this.agent, headers },
                res => {
                    let text = ""
                    res.setEncoding("utf8")
                    res.on("data", d => (text += d))
                    res.on("end", () => {
                        if (res.statusCode! >= 200 && res.statusCode! < 300) resolve(JSON.parse(text))
                        else reject(new Error(`replay ${method} ${path}: ${res.statusCode} ${text.slice(0, 300)}`))
                    })
                }
            )
            req.on("error", reject)
            req.end(body)
        })
    }

    close() {
        if (this.agent) this.agent.destroy()
    }
}

/** The firmware's conditions for a healthy board that just booted. */
export function healthyConditions(nowMs: number): any[] {
    const tracker = new ConditionTracker()
    tracker.update(
        deriveConditions({
            heapFree: 40000,
            heapSimulated: false,
            memLowBytes: settingDefault("MEM_LOW_BYTES"),
            uptimeMs: 60000,
            renewals: 0,
            reconnects: 0,
            lastReconnectMs: -1,
            transportChanges: 0,
            maxAbsSkewMs: 0,
        }),
        nowMs
    )
    return tracker.toJson(nowMs)
}

/** Registers a Node shaped like picokubelet's under `name`; returns it. */
export async function registerNode(client: ReplayClient, name: string, conditions: any[]): Promise<any> {
    const id: NodeIdentity = {
        name,
        internalIP: "192.168.0.111",
        machineID: "0123456789abcdef0123456789abcdef",
        systemUUID: "01234567-89ab-cdef-0123-456789abcdef",
        bootID: "01234567-89ab-4def-8123-456789abcdef",
        kernelVersion: "devicescript-2.16.4",
        maxPods: 1,
        taintKey: "picokubelet.dev/no-containers",
        // as long as what devs bakes into the image (v0.1.1-<commit>): osImage costs its real bytes
        firmwareVersion: "v0.1.1-0123456",
    }
    return await client.call("POST", NODES_PATH, registrationBody(id, conditions).join(""))
}
