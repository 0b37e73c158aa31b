// Wire cost of one client, measured in a shortened run and scaled to an hour
// at the real cadence. A client's traffic is split into streams (renewals,
// status posts, reconnects); each stream is measured over some number of its
// events and happens `perHour` times an hour for real.
import { Traffic } from "./traffic"

export interface Stream {
    label: string
    /** Events (renewals, status cycles, renewal periods) the measured bytes cover. */
    measured: number
    /** How many of those events an hour holds at the real cadence. */
    perHour: number
    up: number
    down: number
    connections: number
    requests: number
}

export interface ClientCost {
    key: "ours" | "seed" | "kubelet" | "kwok" | "virtual-kubelet"
    name: string
    /** One line on what the client does in steady state. */
    pattern: string
    streams: Stream[]
}

/** A window that held `measured` events of one stream and nothing else. */
export function windowStream(label: string, t: Traffic, measured: number, perHour: number): Stream {
    return { label, measured, perHour, up: t.up, down: t.down, connections: t.connections, requests: t.entries.length }
}

const scale = (s: Stream, v: number) => (v * s.perHour) / s.measured

export function streamPerHour(s: Stream) {
    return { up: scale(s, s.up), down: scale(s, s.down), total: scale(s, s.up + s.down) }
}

export function perHour(c: ClientCost) {
    const sum = (f: (s: Stream) => number) => c.streams.reduce((n, s) => n + f(s), 0)
    return {
        up: sum(s => scale(s, s.up)),
        down: sum(s => scale(s, s.down)),
        total: sum(s => scale(s, s.up + s.down)),
        handshakes: sum(s => scale(s, s.connections)),
        requests: sum(s => scale(s, s.requests)),
    }
}
