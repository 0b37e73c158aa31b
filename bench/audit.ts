// A real kube-apiserver's audit log (tools/cluster's `auditLog`: level
// Metadata, one event per request at its end) read as a client's requests, and
// a proxy's timed chunks split by which of those requests was in flight: the
// way to tell a lease renewal's bytes from a status post's when TLS hides the
// requests from the proxy.
import { readFileSync } from "node:fs"
import { Chunk } from "./tcp-proxy"

export interface AuditRequest {
    id: string
    user: string
    verb: string
    resource: string
    subresource: string
    namespace: string
    name: string
    uri: string
    /** Epoch ms: received, and the reply complete (for a watch: when it started streaming). */
    received: number
    done: number
    /** A watch (or another long-running request): its bytes are spread over its whole life. */
    longRunning: boolean
}

/** Every request `user` made that the server received in [from, to), one per audit ID. */
export function auditRequests(file: string, user: string, from: number, to: number): AuditRequest[] {
    const byId = new Map<string, AuditRequest>()
    for (const line of readFileSync(file, "utf8").split("\n")) {
        if (!line.includes(`"username":"${user}"`)) continue
        const e = JSON.parse(line)
        const received = Date.parse(e.requestReceivedTimestamp)
        if (e.user?.username !== user || received < from || received >= to) continue
        const ref = e.objectRef ?? {}
        byId.set(e.auditID, {
            id: e.auditID,
            user,
            verb: e.verb,
            resource: ref.resource ?? "",
            subresource: ref.subresource ?? "",
            namespace: ref.namespace ?? "",
            name: ref.name ?? "",
            uri: e.requestURI,
            received,
            done: Date.parse(e.stageTimestamp),
            longRunning: e.verb === "watch" || e.stage === "ResponseStarted",
        })
    }
    return [...byId.values()].sort((a, b) => a.received - b.received)
}

/**
 * How far outside a request's [received, done] a chunk may be and still be
 * its: the request's bytes reach the proxy just before the server stamps it
 * received, the reply just after it is complete, and a watch event the write
 * causes (the client's own watch echoing it back) follows within moments.
 */
export const SLACK_MS = 100

/**
 * Each chunk's stream: the label `classify` gives the short request it
 * belongs to, else `rest` (watch events, keep-alive pings, TLS handshakes and
 * records no request explains). A request whose [received, done] holds the
 * chunk wins (the latest received, when a client pipelines); otherwise the
 * nearest within SLACK_MS, so a large reply's early records never go to a
 * request that ended just before it began.
 */
export function attribute(chunks: Chunk[], requests: AuditRequest[], classify: (r: AuditRequest) => string, rest: string) {
    const short = requests.filter(r => !r.longRunning)
    const totals = new Map<string, { up: number; down: number }>()
    for (const c of chunks) {
        const inside = short.filter(r => c.at >= r.received && c.at <= r.done)
        let best = inside.length ? inside.reduce((a, b) => (b.received > a.received ? b : a)) : undefined
        let bestDistance = SLACK_MS
        // upstream bytes arrive just before the server stamps a request received; replies and echoes just after it is done
        for (const r of best ? [] : short) {
            const distance = c.up ? r.received - c.at : c.at - r.done
            if (distance >= 0 && distance <= bestDistance) [best, bestDistance] = [r, distance]
        }
        const label = best ? classify(best) : rest
        const t = totals.get(label) ?? { up: 0, down: 0 }
        if (c.up) t.up += c.bytes
        else t.down += c.bytes
        totals.set(label, t)
    }
    return totals
}
