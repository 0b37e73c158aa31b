// Fakes for the reconcilers' seams: a clock that advances only when slept
// on, an API server answering from a script, a platform snapshot to set.
import * as ds from "@devicescript/core"
import { FetchFn, KubeApi } from "../../../src/k8s/api"
import { Kubelet } from "../../../src/kubelet/kubelet"
import { LedStatus } from "../../../src/led/status"
import { PlatformSnapshot, PlatformSource } from "../../../src/platform/snapshot"
import { parseConfig } from "../../../src/settings/settings"
import { Timer } from "../../../src/time/timer"

/** Fri, 20 Nov 2026 22:37:15 GMT */
export const T0 = 1795214235000

export class FakeTimer implements Timer {
    ms = 0
    /** Every sleep, in order. */
    sleeps: number[] = []
    now(): number {
        return this.ms
    }
    async sleep(ms: number) {
        this.sleeps.push(ms)
        this.ms += ms
    }
}

/** A scripted reply: a status (and body: a string is JSON, a Buffer protobuf), or `fail`, the message of a transport error. */
export interface Reply {
    status?: number
    body?: string | Buffer
    fail?: string
}

/** An empty object in protobuf: what a request asking for protobuf gets when the script says nothing. */
const EMPTY_PROTOBUF = Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x12, 0x00])

export interface SeenRequest {
    method: string
    path: string
    body: string
    accept: string
}

/** Answers calls from `replies` in order, then 200 with "{}" (an empty protobuf object when asked for one); records every request. */
export class FakeApiServer {
    replies: Reply[] = []
    requests: SeenRequest[] = []
    /** Bytes per piece of a streamed body. */
    piece = 7
    drops = 0

    fetchFn(): FetchFn {
        const self = this
        return async (path, init) => {
            const accept: string = init.headers && init.headers["Accept"]
            // a body function is called as the connection calls it, when the request goes out; pieces are joined here
            const b: any = typeof init.body === "function" ? (init.body as () => string | string[])() : init.body
            self.requests.push({ method: init.method, path, body: Array.isArray(b) ? (b as string[]).join("") : b, accept })
            const r = self.replies.shift() || { status: 200 }
            if (r.fail) throw new Error(r.fail)
            const status = r.status || 200
            const wantsProtobuf = !!accept && accept.indexOf("application/vnd.kubernetes.protobuf") === 0
            const body: Buffer = r.body instanceof Buffer ? r.body : r.body ? Buffer.from(r.body) : wantsProtobuf ? EMPTY_PROTOBUF : Buffer.from("{}")
            const contentType = r.body instanceof Buffer || (!r.body && wantsProtobuf) ? "application/vnd.kubernetes.protobuf" : "application/json"
            if (init.bodyMode === "stream" && status >= 200 && status < 300) {
                // in uneven pieces, as a socket delivers them
                for (let at = 0; at < body.length; at += self.piece) {
                    init.sink(body, at, Math.min(body.length, at + self.piece))
                    // a fiber slice per 256 bytes, as the transport's at most 512
                    if (at % 256 < self.piece) await ds.sleep(0)
                }
            }
            return {
                status,
                // no Date: the wall clock stays where the test anchored it
                headers: { get: (name: string): string => (name === "content-type" ? contentType : null) },
                buffer: () => body,
            }
        }
    }

    /** "PATCH /apis/.../leases/n1" for each request, query strings cut. */
    calls(): string[] {
        return this.requests.map(r => {
            const q = r.path.indexOf("?")
            return `${r.method} ${q < 0 ? r.path : r.path.slice(0, q)}`
        })
    }
}

export class FakePlatform implements PlatformSource {
    state: PlatformSnapshot = { known: true, transport: 1, linkUp: true, address: "192.168.0.111", heapFree: 40000, transportChanges: 0 }
    snapshot(): PlatformSnapshot {
        return this.state
    }
}

export interface Rig {
    k: Kubelet
    timer: FakeTimer
    server: FakeApiServer
    platform: FakePlatform
    led: LedStatus
}

/** A bootstrapped kubelet (clock anchored, node uid known) on fakes; jitter 0. */
export function rig(): Rig {
    const timer = new FakeTimer()
    const server = new FakeApiServer()
    const platform = new FakePlatform()
    const led = new LedStatus(0)
    const api = new KubeApi(server.fetchFn(), () => timer.now(), async () => {
        server.drops++
    })
    const config = parseConfig({ K3S_HOST: "k3s.lan", NODE_NAME: "n1", K3S_TOKEN: "abcdef.0123456789abcdef" }).config
    const k = new Kubelet({
        config,
        api,
        led,
        platform,
        identity: {
            name: "n1",
            internalIP: "192.168.0.111",
            machineID: "0123456789abcdef0123456789abcdef",
            systemUUID: "01234567-89ab-cdef-0123-456789abcdef",
            bootID: "01234567-89ab-4def-8123-456789abcdef",
            kernelVersion: "devicescript-2.16.4",
            maxPods: 1,
            taintKey: "",
            firmwareVersion: "v0.1.0",
        },
        connectionsOpened: () => 1,
        timer,
        random: () => 0,
    })
    k.clock.anchor(T0)
    k.nodeUid = "uid-1"
    // as after bootstrap: the node's events told
    k.readyAnnounced = true
    k.memoryAnnounced = "False"
    return { k, timer, server, platform, led }
}

export const LEASE = "PATCH /apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1"
export const CREATE_LEASE = "POST /apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases"
export const STATUS = "PATCH /api/v1/nodes/n1/status"
export const REGISTER = "POST /api/v1/nodes"
export const NODE_EVENT = "POST /api/v1/namespaces/default/events"
