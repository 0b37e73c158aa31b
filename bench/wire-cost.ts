// Wire cost per hour of steady state, three clients against the same
// emulator, one after another (a window holds one client's traffic only):
// the two replays, then picokubelet itself in the simulator with its periods
// shortened by settings.
import type { ApiServer, LogEntry } from "../tools/apiserver"
import { ClientCost, perHour } from "./cost"
import { Firmware } from "./firmware"
import { Plan, REAL } from "./plan"
import { replayKubelet } from "./replay-kubelet"
import { replaySeed } from "./replay-seed"
import { measureWindow, sumEntries } from "./traffic"

const NODE = "esp-ours-01"
// 0.25x the seed: 0.2x is below what a renewal over HTTP/1.1 with the smallest reply allows (section 8 measures that floor)
const GOALS = { vsSeed: 0.25, vsKubelet: 1.0 }

export interface WireCost {
    clients: ClientCost[]
    /** ours / seed and ours / kubelet, hourly bytes both directions. */
    ratios: { seed: number; kubelet: number }
    goals: { vsSeed: boolean; vsKubelet: boolean; noHandshakes: boolean }
    goalValues: typeof GOALS
    /** Sizes of single requests of ours, for the report's notes. */
    ours: { renewal: Exchange; status: Exchange; windowSeconds: number }
}

/** Average TCP bytes of one request and its reply, and the HTTP part of them. */
export interface Exchange {
    up: number
    down: number
    httpUp: number
    httpDown: number
}

function exchange(entries: LogEntry[]): Exchange {
    const avg = (f: (e: LogEntry) => number) => Math.round(entries.reduce((n, e) => n + f(e), 0) / Math.max(1, entries.length))
    return { up: avg(e => e.bytesIn), down: avg(e => e.bytesOut), httpUp: avg(e => e.httpBytesIn), httpDown: avg(e => e.httpBytesOut) }
}

const isRenewal = (e: LogEntry) => e.method === "PATCH" && e.path.includes(`/leases/${NODE}`)
const isStatus = (e: LogEntry) => e.method === "PATCH" && e.path.includes(`/nodes/${NODE}/status`)
/** Pod theater's listing of the pods bound to the node (none are, here): one a pod period. */
const isPodList = (e: LogEntry) => e.method === "GET" && e.path.startsWith("/api/v1/pods?") && e.path.includes(`spec.nodeName%3D${NODE}%2C`)

/**
 * picokubelet as built: RENEW_SECS=1, a short STATUS_SECS; the window runs
 * from the first renewal (boot is over) until it held the planned renewals
 * and status posts. Whatever else crossed the wire in it (reconnects,
 * handshakes, other requests) is charged per renewal period.
 */
async function measureOurs(api: ApiServer, plan: Plan): Promise<{ cost: ClientCost; ours: WireCost["ours"] }> {
    const fw = await Firmware.start(api, { node: NODE, settings: { RENEW_SECS: 1, STATUS_SECS: plan.wire.oursStatusSecs } })
    try {
        await fw.guard("at boot", fw.waitFor(/^lease: renewed #1 /, 60000))
        const timeout = (plan.wire.renewals + plan.wire.statusPosts * plan.wire.oursStatusSecs) * 1000 + 30000
        const startedAt = Date.now()
        const t = await measureWindow(api, e => e.path.includes(`/${NODE}`) || isPodList(e), async () => {
            const from = fw.lineCount
            await fw.guard(
                "during the wire-cost window",
                Promise.all([
                    fw.waitForNth(/^lease: renewed #/, plan.wire.renewals, timeout, from),
                    fw.waitForNth(/^status: posted \(report period\)/, plan.wire.statusPosts, timeout, from),
                ])
            )
        })
        const windowSeconds = (Date.now() - startedAt) / 1000
        const renewals = sumEntries(t.entries, isRenewal)
        const status = sumEntries(t.entries, isStatus)
        const podLists = sumEntries(t.entries, isPodList)
        const cost: ClientCost = {
            key: "ours",
            name: "picokubelet (as built, simulator)",
            pattern:
                "one keep-alive connection, bootstrap token, 52-byte renewTime merge PATCH with its reply in protobuf; " +
                "one status PATCH a report period, a client-go-style heartbeat of what changed, its reply the Node's metadata in protobuf; " +
                "a metadata-only listing of the node's pods every pod period (no pods bound here)",
            streams: [
                { label: "lease renewals", measured: renewals.count, perHour: REAL.renewalsPerHour, up: renewals.up, down: renewals.down, connections: 0, requests: renewals.count },
                { label: "status posts", measured: status.count, perHour: REAL.statusPostsPerHour, up: status.up, down: status.down, connections: 0, requests: status.count },
                { label: "pod listings", measured: podLists.count, perHour: REAL.podListingsPerHour, up: podLists.up, down: podLists.down, connections: 0, requests: podLists.count },
                {
                    label: "reconnects and other",
                    measured: renewals.count,
                    perHour: REAL.renewalsPerHour,
                    up: t.up - renewals.up - status.up - podLists.up,
                    down: t.down - renewals.down - status.down - podLists.down,
                    connections: t.connections,
                    requests: t.entries.length - renewals.count - status.count - podLists.count,
                },
            ],
        }
        return {
            cost,
            ours: { renewal: exchange(t.entries.filter(isRenewal)), status: exchange(t.entries.filter(isStatus)), windowSeconds },
        }
    } finally {
        await fw.stop()
    }
}

export async function benchWireCost(api: ApiServer, plan: Plan): Promise<WireCost> {
    const seed = await replaySeed(api, plan)
    const kubelet = await replayKubelet(api, plan)
    const { cost: ours, ours: sizes } = await measureOurs(api, plan)
    const ratios = {
        seed: perHour(ours).total / perHour(seed).total,
        kubelet: perHour(ours).total / perHour(kubelet).total,
    }
    return {
        clients: [ours, seed, kubelet],
        ratios,
        goals: {
            vsSeed: ratios.seed <= GOALS.vsSeed,
            vsKubelet: ratios.kubelet <= GOALS.vsKubelet,
            noHandshakes: perHour(ours).handshakes === 0,
        },
        goalValues: GOALS,
        ours: sizes,
    }
}
