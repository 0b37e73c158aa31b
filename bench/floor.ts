// The floor of one lease renewal on the real kube-apiserver: the smallest
// request it accepts for a renewal plus the smallest reply it can be asked
// for, both in TCP bytes (TLS records included) over one keep-alive
// connection, as the firmware keeps it. Each lever is measured on its own
// against the request the firmware sent before this was measured, so the
// report can say what each header, query and Accept costs or saves.
// `tsx bench/floor.ts` measures it alone against a fresh control plane.
import { connect as netConnect, Socket } from "node:net"
import { connect as tlsConnect, TLSSocket } from "node:tls"
import { readFileSync } from "node:fs"
import { Cluster, startCluster } from "../tools/cluster"
import { MERGE_PATCH, PROTOBUF, PROTOBUF_METADATA_ONLY } from "../src/k8s/api"
import { leaseBody, renewBody } from "../src/k8s/bodies"
import { LEASE_NAMESPACE, LEASES_PATH, leasePath } from "../src/k8s/paths"
import { buildRequestHead } from "../src/net/request"

/** One exchange on the wire. */
export interface Measured {
    status: number
    contentType: string
    /** TCP bytes: request up, reply down (TLS records included). */
    up: number
    down: number
    /** HTTP bytes (head and body) of the request and the reply. */
    httpUp: number
    httpDown: number
}

export interface Lever {
    name: string
    /** What the variant changes against the baseline. */
    change: string
    m: Measured
    /** The server renewed the lease (2xx). */
    accepted: boolean
}

export interface Floor {
    version: string
    baseline: Lever
    levers: Lever[]
    /** The smallest accepted request with the smallest reply it can be asked for. */
    floor: Lever
    /** The firmware's renewal as built now (src/net/request.ts and src/kubelet/kubelet.ts renewLease). */
    ours: Lever
}

/** The node whose Lease the floor renews (it needs a bootstrap token of its own). */
export const FLOOR_NODE = "esp-floor-01"
const NODE = FLOOR_NODE

/** Longest wait for one reply. */
const REPLY_TIMEOUT_MS = 10000

/** One keep-alive TLS connection that counts the TCP bytes under it. */
class Wire {
    private closed = false

    private constructor(
        private readonly tcp: Socket,
        private readonly tls: TLSSocket
    ) {
        tls.on("close", () => (this.closed = true))
        tls.on("error", () => (this.closed = true))
    }

    static async open(port: number, ca: string): Promise<Wire> {
        const tcp = netConnect(port, "127.0.0.1")
        await new Promise<void>((resolve, reject) => tcp.once("connect", resolve).once("error", reject))
        const tls = tlsConnect({ socket: tcp, ca, servername: "localhost", ALPNProtocols: ["http/1.1"] })
        await new Promise<void>((resolve, reject) => tls.once("secureConnect", resolve).once("error", reject))
        return new Wire(tcp, tls)
    }

    /** The server closed it (a 400 for a request without Host does): the next exchange needs a new one. */
    get usable(): boolean {
        return !this.closed
    }

    /** Sends `head` and `body` in one write, as the firmware does for small bodies, and reads one reply. */
    async exchange(head: string, body: string): Promise<Measured> {
        const up0 = this.tcp.bytesWritten
        const down0 = this.tcp.bytesRead
        const request = Buffer.from(head + body)
        let buf = Buffer.alloc(0)
        const reply = await new Promise<{ status: number; contentType: string; bytes: number }>((resolve, reject) => {
            const done = (r: { status: number; contentType: string; bytes: number } | undefined, why?: string) => {
                clearTimeout(timer)
                this.tls.off("data", onData)
                this.tls.off("close", onClose)
                if (r) resolve(r)
                else reject(new Error(`floor: no whole reply (${why}); ${buf.length} bytes read`))
            }
            const onData = (chunk: Buffer) => {
                buf = Buffer.concat([buf, chunk])
                const r = parseReply(buf, false)
                if (r) done(r)
            }
            const onClose = () => done(parseReply(buf, true), "connection closed")
            const timer = setTimeout(() => done(undefined, "timed out"), REPLY_TIMEOUT_MS)
            this.tls.on("data", onData)
            this.tls.once("close", onClose)
            this.tls.write(request)
        })
        return {
            status: reply.status,
            contentType: reply.contentType,
            up: this.tcp.bytesWritten - up0,
            down: this.tcp.bytesRead - down0,
            httpUp: request.length,
            httpDown: reply.bytes,
        }
    }

    close() {
        this.tls.destroy()
    }
}

/** A whole reply in `buf` (Content-Length or chunked), else undefined. */
function parseReply(buf: Buffer, closed: boolean): { status: number; contentType: string; bytes: number } | undefined {
    const end = buf.indexOf("\r\n\r\n")
    if (end < 0) return undefined
    const head = buf.subarray(0, end).toString("latin1")
    const status = Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1])
    const contentType = /\r\ncontent-type: *([^\r]*)/i.exec(head)?.[1] ?? ""
    const length = /\r\ncontent-length: *(\d+)/i.exec(head)
    if (length) {
        const total = end + 4 + Number(length[1])
        return buf.length >= total ? { status, contentType, bytes: total } : undefined
    }
    // no length and not chunked: the body runs to the close
    if (!/\r\ntransfer-encoding: *chunked/i.test(head)) return closed ? { status, contentType, bytes: buf.length } : undefined
    let at = end + 4
    for (;;) {
        const lineEnd = buf.indexOf("\r\n", at)
        if (lineEnd < 0) return undefined
        const size = parseInt(buf.subarray(at, lineEnd).toString("latin1"), 16)
        at = lineEnd + 2 + size + 2
        if (at > buf.length) return undefined
        if (size === 0) return { status, contentType, bytes: at }
    }
}

/** A renewal request: what changes between levers is the header list, the query and the body. */
interface Renewal {
    method?: string
    /** Default the node's Lease. */
    path?: string
    headers: [string, string][]
    query: string
    body: (renewTime: string) => string
}

const microTime = () => new Date().toISOString().replace(/\.(\d{3})Z$/, ".$1000Z")

function renewalHead(r: Renewal, port: number, token: string, bodyLength: number): string {
    const lines = [`${r.method ?? "PATCH"} ${r.path ?? leasePath(NODE)}${r.query} HTTP/1.1`]
    for (const [k, v] of r.headers) lines.push(`${k}: ${v.replace("$PORT", "" + port).replace("$TOKEN", token).replace("$LENGTH", "" + bodyLength)}`)
    return lines.join("\r\n") + "\r\n\r\n"
}

const mergeBody = renewBody

/** The request the firmware sent when this was written (src/net/request.ts buildRequestHead, src/kubelet/kubelet.ts renewLease). */
const BASELINE: Renewal = {
    headers: [
        ["Host", "localhost:$PORT"],
        ["User-Agent", "picokubelet/0.1.0"],
        ["Accept", "application/json"],
        ["Authorization", "Bearer $TOKEN"],
        ["Content-Type", "application/merge-patch+json"],
        ["Content-Length", "$LENGTH"],
    ],
    query: "?fieldManager=picokubelet",
    body: mergeBody,
}

/**
 * The renewal the firmware sends now, its head from the firmware's own
 * request builder with the headers renewLease passes, as header pairs with
 * the length and token left to fill in.
 */
function oursNow(port: number): Renewal {
    const head = buildRequestHead({
        method: "PATCH",
        path: leasePath(NODE),
        host: "localhost",
        port,
        tls: true,
        token: "$TOKEN",
        headers: { "Content-Type": MERGE_PATCH, Accept: PROTOBUF },
        bodyLength: 1,
    })
    const lines = head.split("\r\n").filter(l => l)
    const headers = lines.slice(1).map(l => {
        const colon = l.indexOf(": ")
        const name = l.slice(0, colon)
        return [name, name === "Content-Length" ? "$LENGTH" : l.slice(colon + 2)] as [string, string]
    })
    return { headers, query: "", body: t => renewBody(t) }
}

type Change = (r: Renewal) => Renewal
const without = (name: string): Change => r => ({ ...r, headers: r.headers.filter(([k]) => k !== name) })
const setHeader = (name: string, value: string): Change => r => ({ ...r, headers: [...r.headers.filter(([k]) => k !== name), [name, value]] })

/** Each lever, applied alone to the baseline; the floor applies every one that was accepted and saved bytes. */
const LEVERS: { name: string; change: string; apply: Change }[] = [
    { name: "no User-Agent", change: "User-Agent header dropped", apply: without("User-Agent") },
    { name: "no Accept", change: "Accept header dropped (the server's default, JSON)", apply: without("Accept") },
    { name: "no Content-Type", change: "Content-Type header dropped", apply: without("Content-Type") },
    { name: "no Host", change: "Host header dropped (HTTP/1.1 requires it)", apply: without("Host") },
    { name: "short Host", change: "Host without the port", apply: setHeader("Host", "localhost") },
    { name: "no fieldManager", change: "?fieldManager=picokubelet dropped (the server names the manager from the User-Agent)", apply: r => ({ ...r, query: "" }) },
    { name: "seconds renewTime", change: "renewTime without microseconds", apply: r => ({ ...r, body: t => mergeBody(t.replace(/\.\d+Z$/, "Z")) }) },
    {
        name: "JSON patch",
        change: "a JSON patch replacing /spec/renewTime",
        apply: r => ({ ...setHeader("Content-Type", "application/json-patch+json")(r), body: t => `[{"op":"replace","path":"/spec/renewTime","value":"${t}"}]` }),
    },
    { name: "Accept protobuf", change: `Accept: ${PROTOBUF}`, apply: setHeader("Accept", PROTOBUF) },
    { name: "Accept protobuf metadata", change: `Accept: ${PROTOBUF_METADATA_ONLY}`, apply: setHeader("Accept", PROTOBUF_METADATA_ONLY) },
]

async function measure(wire: Wire, r: Renewal, port: number, token: string): Promise<Measured> {
    const body = r.body(microTime())
    return await wire.exchange(renewalHead(r, port, token, Buffer.byteLength(body)), body)
}

/**
 * Measures the baseline and every lever alone, then the floor: the request
 * levers the server accepted that made the request smaller, together, with
 * the Accept that brought the smallest accepted reply.
 */
export async function measureFloor(cluster: Cluster): Promise<Floor> {
    // the Node as any admin creates it, its Lease as the firmware does: the renewal reply carries the Lease's metadata
    await cluster.kubectl.exec(["create", "-f", "-"], { input: JSON.stringify({ apiVersion: "v1", kind: "Node", metadata: { name: NODE } }) })
    const nodeUid: string = (await cluster.kubectl.json("get", "node", NODE)).metadata.uid
    const ca = readFileSync(cluster.caFile, "utf8")
    const token = cluster.tokenFor(NODE)
    let wire: Wire | undefined
    try {
        // each lever on a Lease of its own history: created by the same request head, renewed twice, measured on the third
        // renewal (a request without ?fieldManager or User-Agent is another manager, one more managedFields entry)
        const lever = async (name: string, change: string, r: Renewal): Promise<Lever> => {
            await cluster.kubectl.run("-n", LEASE_NAMESPACE, "delete", "lease", NODE, "--ignore-not-found")
            const send = async (req: Renewal) => {
                if (!wire?.usable) {
                    wire?.close()
                    wire = await Wire.open(cluster.port, ca)
                    // the first exchange of a connection carries TLS session tickets: not a renewal's cost
                    await measure(wire, { ...BASELINE, method: "GET", body: () => "" }, cluster.port, token)
                }
                return await measure(wire, req, cluster.port, token)
            }
            const created = await send(createLease(r, nodeUid))
            if (created.status !== 201) return { name, change, m: created, accepted: false }
            await send(r)
            await send(r)
            const m = await send(r)
            return { name, change, m, accepted: m.status >= 200 && m.status < 300 }
        }
        const baseline = await lever("baseline", "the firmware's renewal before these levers", BASELINE)
        const measured: Lever[] = []
        for (const l of LEVERS) measured.push(await lever(l.name, l.change, l.apply(BASELINE)))
        const accepted = LEVERS.filter((_, i) => measured[i].accepted)
        const total = (l: (typeof LEVERS)[number]) => measured[LEVERS.indexOf(l)].m.up + measured[LEVERS.indexOf(l)].m.down
        // the Accept that costs least, request and reply together; dropping Accept is the JSON one
        const replies = accepted.filter(l => l.name.startsWith("Accept") || l.name === "no Accept")
        const bestReply = replies.reduce((best, l) => (total(l) < total(best) ? l : best), replies[0])
        const smaller = accepted.filter(l => !replies.includes(l) && measured[LEVERS.indexOf(l)].m.httpUp < baseline.m.httpUp)
        const taken = bestReply ? [...smaller, bestReply] : smaller
        const floorReq = taken.reduce((r, l) => l.apply(r), BASELINE)
        const floor = await lever("floor", taken.map(l => l.name).join(", "), floorReq)
        const ours = await lever("ours", "the firmware's renewal as built now", oursNow(cluster.port))
        return { version: cluster.version, baseline, levers: measured, floor, ours }
    } finally {
        wire?.close()
        // the Lease goes with the Node (owner reference): nothing left for a later client's watches
        await cluster.kubectl.run("delete", "node", NODE, "--ignore-not-found", "--wait=false")
    }
}

/** The Lease POST as the firmware sends it (src/kubelet/kubelet.ts createLease), with the head and query of `r`. */
function createLease(r: Renewal, nodeUid: string): Renewal {
    return {
        ...r,
        method: "POST",
        path: LEASES_PATH,
        headers: r.headers.map(([k, v]) => [k, k === "Content-Type" ? "application/json" : v]),
        body: t => leaseBody(NODE, nodeUid, 40, t),
    }
}

export function floorTable(f: Floor): string[] {
    const row = (l: Lever) =>
        `| ${l.name} | ${l.change} | ${l.m.status} | ${l.m.httpUp} | ${l.m.httpDown} | ${l.m.up} | ${l.m.down} | ${l.m.up + l.m.down} | ${(
            (l.m.up + l.m.down) /
            (f.baseline.m.up + f.baseline.m.down)
        ).toFixed(2)}x |`
    return [
        "| lever | change | status | HTTP up | HTTP down | TCP up | TCP down | TCP total | vs baseline |",
        "|---|---|---|---|---|---|---|---|---|",
        row(f.baseline),
        ...f.levers.map(row),
        row(f.floor),
        row(f.ours),
    ]
}

if (require.main === module) {
    ;(async () => {
        const cluster = await startCluster({ nodeNames: [FLOOR_NODE], log: l => console.error(l) })
        try {
            const f = await measureFloor(cluster)
            console.log(`Floor of one renewal on kube-apiserver ${f.version}:\n`)
            console.log(floorTable(f).join("\n"))
        } finally {
            await cluster.stop()
        }
    })().catch(e => {
        console.error(e)
        process.exit(1)
    })
}
