// A simulated day: the firmware renews its Lease the 8,640 times a day holds
// at the default 10 s, at a short period (RENEW_SECS=0.25: the day in about
// 36 minutes), holding a ballast 4 KB below the measured headroom, with
// MAX_PODS real-sized pods running and listed every period, and status posts
// at the defaults' ratio to renewals (STATUS_SECS=7.5 at RENEW_SECS=0.25, as
// 300 to 10: a day's 288 posts), each answered with a >= 5 KB Node. It
// passes with no out-of-memory, no restart (the VM's `start:` line once),
// every renewal the emulator received within twice the period of the last,
// and every pod still Running. The renewal times are the emulator's (the
// complete PATCH of the node's Lease), as the node controller sees them.
// `tsx bench/soak.ts [--renewals N] [--ballast KB]` runs it alone against
// its own emulator and prints the section.
import { ApiServer, LogEntry, startApiServer } from "../tools/apiserver"
import { acquireDevtoolsLock } from "../tools/simulator/lock"
import { leasePath } from "../src/k8s/paths"
import { intervalStats, IntervalStats } from "./churn"
import { Firmware, FirmwareFailure } from "./firmware"
import { BALLAST_ENTRY, NODE_REPLY_BYTES, padNode, Sizes } from "./heap"
import { MAX_PODS, REAL } from "./plan"
import { benchPod, createPod, deletePod, podRunning } from "./pods"

/** The ballast is this far below the measured headroom. */
export const SOAK_MARGIN_KB = 4
/** A day's renewals at the real period (the full run only: about 36 minutes at the soak's period). */
export const SOAK_RENEWALS = (24 * 3600) / REAL.renewSecs
export const SOAK_RENEW_SECS = 0.25
const STATUS_SECS = (SOAK_RENEW_SECS * REAL.statusSecs) / REAL.renewSecs
const NODE = "esp-soak-01"
/** How often the emulator's log is read for new renewals. */
const POLL_MS = 500

export interface SoakOptions {
    renewals: number
    /** The ballast itself, in place of headroom - SOAK_MARGIN_KB. */
    ballastKb?: number
    /** Default MAX_PODS. */
    pods?: number
}

export interface SoakResult {
    /** Renewals asked for, and renewals the emulator received. */
    renewals: number
    renewed: number
    headroomKb?: number
    ballastKb: number
    pods: number
    renewSecs: number
    statusSecs: number
    /** From the first renewal the emulator received to the last. */
    seconds: number
    intervals: Omit<IntervalStats, "intervalsMs">
    /** Intervals over twice the period. */
    late: number
    /** Report-period status posts the firmware logged, and their replies' HTTP sizes. */
    statusPosts: number
    statusReplyBytes?: Sizes
    renewalFailures: number
    statusFailures: number
    /** The VM's `start:` lines: 1 is no restart. */
    starts: number
    podsRunning: number
    ok: boolean
    /** Why it failed: the firmware died, stalled, restarted or left a pod. */
    failure?: string
    lastLines?: string[]
}

const isRenewal = (e: LogEntry) => e.method === "PATCH" && e.path.split("?")[0] === leasePath(NODE) && e.status === 200
const count = (lines: string[], re: RegExp) => lines.filter(l => re.test(l)).length

/** Intervals over `limitMs` (twice the period: a renewal missed or pushed back by a whole period). */
export const lateCount = (s: IntervalStats, limitMs: number) => s.intervalsMs.filter(i => i > limitMs).length

export async function benchSoak(api: ApiServer, headroomKb: number | undefined, opts: SoakOptions): Promise<SoakResult> {
    const ballastKb = opts.ballastKb ?? Math.max(0, (headroomKb ?? SOAK_MARGIN_KB) - SOAK_MARGIN_KB)
    const pods = opts.pods ?? MAX_PODS
    const names = Array.from({ length: pods }, (_, i) => `${NODE}-web-${i + 1}`)
    const periodMs = SOAK_RENEW_SECS * 1000
    const fw = await Firmware.start(api, {
        node: NODE,
        entry: BALLAST_ENTRY,
        settings: { BALLAST_KB: ballastKb, RENEW_SECS: SOAK_RENEW_SECS, STATUS_SECS, POD_SECS: SOAK_RENEW_SECS, ...(pods > MAX_PODS ? { MAX_PODS: pods } : {}) },
    })
    const times: number[] = []
    let from = 0
    let failure: string | undefined
    try {
        await fw.guard(
            "in the soak",
            (async () => {
                await fw.waitFor(new RegExp(`^ballast: ${ballastKb} KB held`), 30000)
                await fw.waitFor(/^kubelet: node \S+ registered/, 30000)
                await padNode(api, NODE)
                for (const name of names) await createPod(api, benchPod(name, NODE))
                for (const name of names) await fw.waitFor(new RegExp(`^pods: default/${name} Running`), 30000 + 3000 * pods)
                from = api.log.entries.length
                const deadline = Date.now() + 2 * opts.renewals * periodMs + 60000
                let scanned = from
                let told = 0
                while (times.length < opts.renewals) {
                    const entries = api.log.entries
                    for (; scanned < entries.length && times.length < opts.renewals; scanned++) if (isRenewal(entries[scanned])) times.push(entries[scanned].time)
                    if (times.length >= told + 500) console.error(`bench: soak ${(told = times.length)} of ${opts.renewals} renewals`)
                    if (Date.now() > deadline) throw new FirmwareFailure(`${times.length} of ${opts.renewals} renewals by the deadline`)
                    await new Promise(r => setTimeout(r, POLL_MS))
                }
            })()
        )
    } catch (e) {
        // the firmware failing is the answer; anything else is the bench's own error
        if (!(e instanceof FirmwareFailure)) throw e
        failure = e.message.split("\n")[0]
    }
    const lines = fw.linesFrom(0)
    await fw.stop()
    const running = names.filter(n => podRunning(api.store.getPod("default", n))).length
    for (const name of names) await deletePod(api, name, true)
    if (!failure && running < pods) failure = `${pods - running} pod(s) not Running and Ready at the end`
    const statusReplies = api.log.entries.slice(from).filter(e => e.status === 200 && e.path.includes(`/nodes/${NODE}/status`)).map(e => e.httpBytesOut)
    if (statusReplies.length && Math.min(...statusReplies) < NODE_REPLY_BYTES)
        throw new Error(`status replies of ${Math.min(...statusReplies)} B: the soak was meant to carry ${NODE_REPLY_BYTES} B Nodes`)
    const stats = intervalStats(times, periodMs)
    const late = lateCount(stats, 2 * periodMs)
    const { intervalsMs, ...intervals } = stats
    const starts = count(lines, /^start: /)
    return {
        renewals: opts.renewals,
        renewed: times.length,
        headroomKb,
        ballastKb,
        pods,
        renewSecs: SOAK_RENEW_SECS,
        statusSecs: STATUS_SECS,
        seconds: times.length ? (times[times.length - 1] - times[0]) / 1000 : 0,
        intervals,
        late,
        statusPosts: count(lines, /^status: posted \(report period\)/),
        statusReplyBytes: statusReplies.length ? { min: Math.min(...statusReplies), max: Math.max(...statusReplies) } : undefined,
        renewalFailures: count(lines, /^lease: renewal failed/),
        statusFailures: count(lines, /^status: post failed/),
        starts,
        podsRunning: running,
        ok: !failure && starts === 1 && late === 0,
        failure,
        lastLines: failure ? lines.slice(-12) : undefined,
    }
}

function hms(seconds: number): string {
    const s = Math.round(seconds)
    return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min ${String(s % 60).padStart(2, "0")} s`
}

/** The soak as markdown lines for the report. */
export function soakSection(r: SoakResult): string[] {
    const day = (24 * 3600) / REAL.renewSecs
    const i = r.intervals
    const ballast = r.headroomKb === undefined ? `${r.ballastKb} KB` : `${r.ballastKb} KB (the measured headroom ${r.headroomKb} KB less ${SOAK_MARGIN_KB})`
    const out = [
        `### A simulated day: ${r.renewals} renewals at RENEW_SECS=${r.renewSecs}`,
        "",
        `A day at the default RENEW_SECS=${REAL.renewSecs} is ${day} renewals; ` +
            (r.renewals >= day ? "this soak ran a whole day's" : `this soak ran ${r.renewals} of them (${((100 * r.renewals) / day).toFixed(0)} % of a day)`) +
            ` at a short period, with ${r.pods} real-sized pods Running and listed every period, ` +
            `status posts every ${r.statusSecs} s (the defaults' ratio to renewals) answered with Nodes of >= ${NODE_REPLY_BYTES / 1024} KB, ` +
            `and a ballast of ${ballast} held from boot. Renewal times are the emulator's.`,
        "",
        "| figure | value |",
        "|---|---|",
        `| renewals received | ${r.renewed} of ${r.renewals} in ${hms(r.seconds)} (${r.seconds ? ((3600 * (r.renewed - 1)) / r.seconds).toFixed(0) : 0} per hour) |`,
        `| interval mean / p50 / p95 / p99 / max | ${i.meanMs} / ${i.p50Ms} / ${i.p95Ms} / ${i.p99Ms} / ${i.maxMs} ms (period ${r.renewSecs * 1000} ms + up to 4 % jitter; mean deviation ${i.jitterPct.toFixed(1)} %) |`,
        `| intervals over twice the period | ${r.late} of ${i.count} |`,
        `| renewals that failed and were retried | ${r.renewalFailures} |`,
        `| report-period status posts | ${r.statusPosts}${r.statusReplyBytes ? `, replies ${r.statusReplyBytes.min}..${r.statusReplyBytes.max} B` : ""}; ${r.statusFailures} failed |`,
        `| pods Running and Ready at the end | ${r.podsRunning} of ${r.pods} |`,
        `| program starts (1: no restart) | ${r.starts} |`,
        `| out of memory, panic, stall | ${r.failure ?? "none"} |`,
        `| verdict | ${r.ok ? "pass" : "FAIL"} |`,
    ]
    if (r.lastLines) out.push("", "Its last lines:", "", "```", ...r.lastLines, "```")
    return out
}

if (require.main === module) {
    const arg = (name: string) => {
        const at = process.argv.indexOf(name)
        return at < 0 ? undefined : +process.argv[at + 1]
    }
    ;(async () => {
        // the whole soak holds the simulator turn: one session, no one else's sharing the CPU
        const release = await acquireDevtoolsLock(60 * 60 * 1000)
        const api = await startApiServer({ port: 0, quiet: true, gracePeriodSeconds: 40 })
        try {
            const r = await benchSoak(api, undefined, { renewals: arg("--renewals") ?? SOAK_RENEWALS, ballastKb: arg("--ballast") ?? 0 })
            console.log(soakSection(r).join("\n"))
            return r.ok
        } finally {
            await api.stop()
            release()
        }
    })().then(
        ok => process.exit(ok ? 0 : 1),
        e => {
            console.error(e)
            process.exit(1)
        }
    )
}
