// Renewal period with and without pod churn: the kubelet as built (src/main.ts)
// with RENEW_SECS and POD_SECS at the plan's period (2 s in the full run),
// MAX_PODS at its default. The intervals between consecutive lease renewals
// as the emulator received them (the complete PATCH of the node's Lease, the
// emulator's clock), first with no pods bound to the node, then while pods
// churn: Never pods that complete after a pretend second, Always pods deleted
// as soon as they run, and always more pods bound than MAX_PODS, so that every
// pod period has starts (a read, a status PATCH, six events), completions,
// kills, deletes and OutOfpods rejections to do on the connection the
// renewals share. Printed, never asserted.
import type { ApiServer, LogEntry } from "../tools/apiserver"
import { leasePath } from "../src/k8s/paths"
import { Firmware, FirmwareFailure } from "./firmware"
import { MAX_PODS, Plan } from "./plan"
import { benchPod, createPod, deletePod, podRunning } from "./pods"

const NODE = "esp-churn-01"
/** Pods bound and not finished that the churn keeps up: more than MAX_PODS. */
const LIVE_PODS = MAX_PODS + 3
/** Lean pods (the tests' kind) rather than real-sized ones: see README on what real-sized pods do to the heap. */
const LEAN = process.env.BENCH_CHURN_REAL_PODS !== "1"
/** How often the churn looks at the store. */
const TICK_MS = 250

export interface IntervalStats {
    count: number
    meanMs: number
    p50Ms: number
    p95Ms: number
    p99Ms: number
    maxMs: number
    /** Mean |interval - period| as a percentage of the period. */
    jitterPct: number
    intervalsMs: number[]
}

export interface ChurnActivity {
    /** Pods the churn created during the measured renewals. */
    created: number
    /** The firmware's own log lines in the measured window. */
    running: number
    succeeded: number
    rejected: number
    deleted: number
    /** Lease renewals that failed and were retried. */
    renewalFailures: number
}

export interface RenewalChurn {
    periodMs: number
    maxPods: number
    livePods: number
    noChurn: IntervalStats
    churn: IntervalStats
    /** The firmware died during the churned renewals (then `churn` holds the intervals before). */
    died?: string
    /** churn / no churn. */
    ratio: { mean: number; p95: number; max: number }
    activity: ChurnActivity
}

/** The intervals between consecutive `times` (ms), against the period they should keep. */
export function intervalStats(times: number[], periodMs: number): IntervalStats {
    const intervalsMs = times.slice(1).map((t, i) => t - times[i])
    const sorted = [...intervalsMs].sort((a, b) => a - b)
    const n = sorted.length
    if (!n) return { count: 0, meanMs: 0, p50Ms: 0, p95Ms: 0, p99Ms: 0, maxMs: 0, jitterPct: 0, intervalsMs }
    const rank = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * n) - 1)]
    return {
        count: n,
        meanMs: Math.round(intervalsMs.reduce((a, b) => a + b, 0) / n),
        p50Ms: rank(50),
        p95Ms: rank(95),
        p99Ms: rank(99),
        maxMs: sorted[n - 1],
        jitterPct: (100 * intervalsMs.reduce((a, i) => a + Math.abs(i - periodMs), 0)) / n / periodMs,
        intervalsMs,
    }
}

const isRenewal = (e: LogEntry) => e.method === "PATCH" && e.path.split("?")[0] === leasePath(NODE) && e.status === 200

/** The emulator's times of `count` successful renewals received after log entry `from`. */
async function renewals(api: ApiServer, fw: Firmware, from: number, count: number, periodMs: number): Promise<number[]> {
    const timeoutMs = count * periodMs * 3 + 30000
    const deadline = Date.now() + timeoutMs
    return await fw.guard(
        "while renewals were timed",
        (async () => {
            for (;;) {
                const times = api.log.entries.slice(from).filter(isRenewal).map(e => e.time)
                if (times.length >= count) return times.slice(0, count)
                if (Date.now() > deadline) throw new FirmwareFailure(`${times.length} of ${count} renewals within ${timeoutMs} ms`)
                await new Promise(r => setTimeout(r, 100))
            }
        })()
    )
}

/** Keeps pods coming and going on the node until `stop` is set; returns the names it created. */
class Churn {
    private seq = 0
    private stopped = false
    private deleted = new Set<string>()
    readonly created: string[] = []
    private loop?: Promise<void>

    constructor(private readonly api: ApiServer) {}

    start() {
        this.loop = (async () => {
            while (!this.stopped) {
                await this.tick()
                await new Promise(r => setTimeout(r, TICK_MS))
            }
        })()
    }

    private async tick() {
        const mine = this.api.store.listPods("default").filter(p => p.spec?.nodeName === NODE)
        let live = 0
        for (const p of mine) {
            const name = p.metadata.name
            const phase = p.status?.phase
            // finished pods are tidied away at once, as a Job's or the pod GC would in time
            if (phase === "Succeeded" || phase === "Failed") await deletePod(this.api, name, true)
            else if (p.metadata.deletionTimestamp) live++
            else if (p.spec.restartPolicy === "Always" && podRunning(p) && !this.deleted.has(name)) {
                // kubectl delete pod: the firmware kills it, posts Killing, deletes it
                this.deleted.add(name)
                await deletePod(this.api, name)
                live++
            } else live++
        }
        for (let i = 0; live < LIVE_PODS && i < 4; i++, live++) {
            const name = `churn-${++this.seq}`
            const never = this.seq % 2 === 1
            await createPod(this.api, benchPod(name, NODE, never ? { restartPolicy: "Never", runSeconds: 1, app: "job", lean: LEAN } : { lean: LEAN }))
            this.created.push(name)
        }
    }

    async stop() {
        this.stopped = true
        await this.loop
    }
}

export async function benchRenewalChurn(api: ApiServer, plan: Plan): Promise<RenewalChurn> {
    const n = plan.churn.intervals
    const { periodSecs } = plan.churn
    const periodMs = periodSecs * 1000
    const fw = await Firmware.start(api, { node: NODE, settings: { RENEW_SECS: periodSecs, POD_SECS: periodSecs } })
    const churn = new Churn(api)
    try {
        await fw.guard("at boot", fw.waitFor(/^lease: renewed #1 /, 60000))
        const quiet = await renewals(api, fw, api.log.entries.length, n + 1, periodMs)
        console.error(`bench: renewal intervals without pods: ${n} measured`)

        const churnFrom = fw.lineCount
        churn.start()
        // counted from the first pod the firmware reported Running: churn is under way
        await fw.guard("as the churn began", fw.waitFor(/^pods: default\/churn-\S+ Running/, 30000, churnFrom))
        const lineFrom = fw.lineCount
        const createdBefore = churn.created.length
        const busyFrom = api.log.entries.length
        let died: string | undefined
        const busy = await renewals(api, fw, busyFrom, n + 1, periodMs).catch(async e => {
            // the firmware dying under churn is a figure too: the intervals before it
            if (!(e instanceof FirmwareFailure)) throw e
            died = e.message.split("\n")[0] + `; its last lines:\n  ${fw.linesFrom(Math.max(0, fw.lineCount - 12)).join("\n  ")}`
            console.error(`bench: ${died}`)
            return api.log.entries.slice(busyFrom).filter(isRenewal).map(e => e.time)
        })
        const lines = fw.linesFrom(lineFrom)
        const createdDuring = churn.created.length - createdBefore
        await churn.stop()
        console.error(`bench: renewal intervals with pod churn: ${n} measured`)

        const count = (re: RegExp) => lines.filter(l => re.test(l)).length
        const noChurn = intervalStats(quiet, periodMs)
        const withChurn = intervalStats(busy, periodMs)
        return {
            periodMs,
            maxPods: MAX_PODS,
            livePods: LIVE_PODS,
            noChurn,
            churn: withChurn,
            died,
            ratio: { mean: withChurn.meanMs / noChurn.meanMs, p95: withChurn.p95Ms / noChurn.p95Ms, max: withChurn.maxMs / noChurn.maxMs },
            activity: {
                created: createdDuring,
                running: count(/^pods: \S+ Running/),
                succeeded: count(/^pods: \S+ Succeeded/),
                rejected: count(/^pods: \S+ rejected/),
                deleted: count(/^pods: \S+ deleted/),
                renewalFailures: count(/^lease: renewal failed/),
            },
        }
    } catch (e: any) {
        // what the firmware was doing when it failed
        if (e instanceof FirmwareFailure) e.message += `; its last lines:\n  ${fw.linesFrom(Math.max(0, fw.lineCount - 25)).join("\n  ")}`
        throw e
    } finally {
        await churn.stop()
        await fw.stop()
        for (const p of api.store.listPods("default").filter(p => p.spec?.nodeName === NODE)) await deletePod(api, p.metadata.name, true)
    }
}
