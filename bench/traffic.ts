// A stretch of one client's traffic as the emulator counted it: bytes on its
// TCP sockets (TLS records and handshakes included) and the requests served.
// TCP totals cannot be split by client, so a window must hold one client's
// traffic only; a window that saw anyone else (another process finding the
// port, a straggler) is measured again.
import type { ApiServer, LogEntry } from "../tools/apiserver"

export interface Traffic {
    /** Client to server, TCP payload bytes. */
    up: number
    /** Server to client. */
    down: number
    /** TCP connections accepted (each one a TLS handshake). */
    connections: number
    entries: LogEntry[]
}

const TRIES = 3

/**
 * Runs `work` inside a window and returns its traffic; `owns` says which
 * requests are the client's. Tries again when foreign requests or
 * connections that carried none of the client's requests showed up.
 */
export async function measureWindow(api: ApiServer, owns: (e: LogEntry) => boolean, work: () => Promise<void>): Promise<Traffic> {
    for (let attempt = 1; ; attempt++) {
        await quiet(api)
        const { log } = api
        const before = { up: log.bytesIn, down: log.bytesOut, connections: log.connections, entries: log.entries.length }
        const knownConnections = new Set(log.entries.map(e => e.connection))
        await work()
        await quiet(api)
        const entries = log.entries.slice(before.entries)
        const t: Traffic = {
            up: log.bytesIn - before.up,
            down: log.bytesOut - before.down,
            connections: log.connections - before.connections,
            entries,
        }
        const foreign = entries.filter(e => !owns(e)).length
        const newConnections = new Set(entries.filter(e => !knownConnections.has(e.connection)).map(e => e.connection)).size
        if (!foreign && t.connections === newConnections) return t
        if (attempt === TRIES)
            throw new Error(`${TRIES} windows in a row saw foreign traffic (${foreign} requests, ${t.connections - newConnections} idle connections)`)
        console.error(`bench: foreign traffic in a measuring window (${foreign} requests); measuring again`)
    }
}

const answered = (e: LogEntry) => e.status !== undefined && e.bytesOut > 0

/**
 * Waits until every recent request has been answered and its reply written,
 * and a closing connection has had a moment to send its alerts. (A request
 * cut off by a dropped connection is never answered: only recent ones count.)
 */
async function quiet(api: ApiServer) {
    const deadline = Date.now() + 5000
    for (;;) {
        await new Promise(r => setTimeout(r, 50))
        const pending = api.log.entries.slice(-4).some(e => !answered(e) && api.clock.now() - e.time < 3000)
        if (!pending) return
        if (Date.now() > deadline) throw new Error("the emulator never went quiet: a request stayed unanswered for 5 s")
    }
}

/** Bytes of the requests `match` picks: up and down, TLS included. */
export function sumEntries(entries: LogEntry[], match: (e: LogEntry) => boolean) {
    const picked = entries.filter(match)
    return {
        count: picked.length,
        up: picked.reduce((n, e) => n + e.bytesIn, 0),
        down: picked.reduce((n, e) => n + e.bytesOut, 0),
    }
}
