// Heap headroom: the largest ballast the firmware can hold from boot on and
// still complete a full cycle (boot, register, MAX_PODS pods reported Running,
// then the planned renewals and status posts answered with >= 5 KB chunked
// Node bodies while those pods run) without running out of memory, found by
// bisection in the simulator's 64 KB heap. The emulator sends bodies over
// 2048 B chunked, as Go's net/http does, so these are. The same cycle with no
// pods, and with twice MAX_PODS, says what the pods cost and whether the
// default MAX_PODS leaves room. In the full run, the same trial with a
// firmware pull instead of the cycle: the headroom while the node pulls a new
// image from a real OCI registry in Range windows and commits it. In the
// full run, where the peak goes: the same ballast bisected per phase (boot,
// registration, renewals, status posts, a pod walk; the pull's search is the
// last phase), each trial stopped as soon as its phase is done.
import { readFileSync } from "node:fs"
import type { ApiServer } from "../tools/apiserver"
import { Registry, RegistrySkipped, startRegistry } from "../tools/registry"
import { pushFirmware } from "../tools/registry/push"
import { MERGE_PATCH } from "../src/k8s/api"
import { nodePath } from "../src/k8s/paths"
import { FIRMWARE_ANNOTATION } from "../src/update/reference"
import { buildFirmwareVariant } from "../test/integration/lib/firmware-variant"
import { Firmware, FirmwareFailure } from "./firmware"
import { HEAP_KB, MAX_PODS, Plan } from "./plan"
import { benchPod, createPod, deletePod, podRunning } from "./pods"
import { ReplayClient } from "./replay-client"

/** The firmware that holds BALLAST_KB of 1 KB Buffers from boot, then runs the kubelet. */
export const BALLAST_ENTRY = "test/integration/firmware/ballast.ts"
const GOAL_KB = 24
/** The status replies of a cycle must be at least this big: a Node as a real cluster returns it. */
export const NODE_REPLY_BYTES = 5 * 1024
const PADDING_KEY = "bench.picokubelet.dev/padding"
/** A pull trial fails when the firmware has not committed this long after the annotation. */
const PULL_TIMEOUT_MS = 180000
/** STATUS_SECS of a pull trial: the firmware reads the annotation from its status post's reply. */
const PULL_STATUS_SECS = 2

export interface Trial {
    kb: number
    /** Pods running through the cycle. */
    pods: number
    ok: boolean
    /** Why it failed, or what the cycle did. */
    detail: string
    seconds: number
    /** A failed trial: the firmware's last log lines (where it was when it died). */
    lastLines?: string[]
    /** A failed trial: where it died or stalled, by its log (see whereDied). */
    diedIn?: string
    /** A trial of one phase (the pull's included): that phase. */
    phase?: Phase
    /** A passing pull trial: its first `firmware: pulling 0%` to `firmware: commit`, and the layer's 206 Range replies from the registry. */
    pull?: { seconds: number; windows: number }
    /** A trial that ran out of memory: what the heap dumper saw. */
    oom?: OomDump
}

/** The heap at an out-of-memory, as the simulator's heap dumper (tools/simulator/heap-dump-hook.cjs) logs it. */
export interface OomDump {
    /** The allocation that failed, when the runtime said. */
    requestedBytes?: number
    freeBytes: number
    /** Free blocks: how many pieces the free heap is in. */
    holes: number
    largestHoleBytes: number
}

const OOM_LINE = /^heapdump: (?:vm\d+ )?OOM(?: of (\d+) B)? .*, free (\d+) B in (\d+) blocks, largest free (\d+) B/

/** The heap dumper's summary of the first out-of-memory in `lines`. */
export function oomDump(lines: string[]): OomDump | undefined {
    for (const l of lines) {
        const m = OOM_LINE.exec(l)
        if (m) return { requestedBytes: m[1] === undefined ? undefined : +m[1], freeBytes: +m[2], holes: +m[3], largestHoleBytes: +m[4] }
    }
    return undefined
}

/** "asked for 1036 B with 18.8 KB free in 120 pieces, the largest 932 B" */
export function oomText(o: OomDump): string {
    const asked = o.requestedBytes === undefined ? "ran out" : `asked for ${o.requestedBytes} B`
    return `${asked} with ${(o.freeBytes / 1024).toFixed(1)} KB free in ${o.holes} pieces, the largest ${o.largestHoleBytes} B`
}

/** What a search (or a single trial) found for one pod count; undefined bounds were not measured. */
export interface Headroom {
    pods: number
    how: "bisection" | "search up" | "search down" | "one trial" | "implied by the trial with pods"
    /** Largest ballast that passed (0 is taken as passing in a bisection). */
    passedKb?: number
    /** Smallest ballast that failed (the whole heap is taken as failing). */
    failedKb?: number
    trials: Trial[]
}

/** Bisection over the pod count at 0 KB ballast: the most pods that passed, the fewest that failed. */
export interface PodCount {
    passedPods: number
    failedPods: number
    trials: Trial[]
}

async function podCount(run: (kb: number, pods: number) => Promise<Trial>): Promise<PodCount> {
    // 0 pods at 0 KB passes (the no-pods search passed above it); MAX_PODS failed
    let lo = 0
    let hi = MAX_PODS
    const trials: Trial[] = []
    while (hi - lo > 1) {
        const probe = Math.floor((lo + hi) / 2)
        const t = await run(0, probe)
        trials.push(t)
        if (t.ok) lo = probe
        else hi = probe
    }
    return { passedPods: lo, failedPods: hi, trials }
}

/** Bytes on the wire (HTTP) of a kind of reply, over passing cycles. */
export interface Sizes {
    min: number
    max: number
}

export interface HeapHeadroom {
    /** The firmware's default MAX_PODS: the pods of the main search. */
    maxPods: number
    /** Largest ballast that passed with MAX_PODS pods running; undefined when even 0 KB failed. */
    passedKb?: number
    /** Smallest ballast that failed with MAX_PODS pods running (none when the quick plan's one trial at the goal passed). */
    failedKb?: number
    /** The main search, with MAX_PODS pods. */
    withPods: Headroom
    /** The same cycle with no pods (the figure the bench gave before pod theater). */
    noPods: Headroom
    /** With 2 * MAX_PODS pods (MAX_PODS raised to fit), when the plan measures it and MAX_PODS fit at all. */
    doublePods?: Headroom
    /** When MAX_PODS pods fail even with no ballast (and the plan searches): how many pods the cycle holds then. */
    podsAtNoBallast?: PodCount
    /** Every trial, in order. */
    trials: Trial[]
    goalKb: number
    /** The goal is met with MAX_PODS pods running. */
    goal: boolean
    /** HTTP sizes of the status replies in passing cycles (headers and chunk framing included); none if none passed. */
    statusReplyBytes?: Sizes
    /** The pods as the emulator stored them (JSON, managedFields included). */
    podBytes?: Sizes
    /** Replies to the firmware's GET of a pod, and to its listing of the node's pods, in passing cycles. */
    podReplyBytes?: Sizes
    podListReplyBytes?: Sizes
    /** Free heap between requests after boot, no pods (full plan only): the heap probe. */
    freeAtIdle?: { kb: number; seconds: number }
    /** Headroom during a firmware pull (full plan only). */
    pull?: PullHeadroom
    /** Headroom per phase, in the order the firmware goes through them (when PHASES_PLAN has the plan). */
    phases?: PhaseHeadroom[]
    phasesPlan?: PhasesPlan
}

/** What a trial pulls instead of running the cycle: a digest-pinned reference in a real registry. */
export interface PullTarget {
    registry: Registry
    reference: string
    /** The layer's digest, sha256:... */
    layerDigest: string
}

export interface PullHeadroom {
    /** Why it was not measured (no registry binary and no Go to build one). */
    skipped?: string
    /** The image pulled: digest-pinned reference, version, layer size. */
    reference?: string
    version?: string
    layerBytes?: number
    /** Bisection over the ballast, no pods; first probe the no-pods cycle's headroom. */
    search?: Headroom
    /** The trial at the largest passing ballast. */
    atPassed?: Trial
}

/** Protobuf's saving on a Node's metadata against its JSON (key names, timestamps), over-estimated. */
const PROTOBUF_SLACK_BYTES = 512

/**
 * Grows the emulator's Node with an annotation until its metadata alone
 * serialises to at least NODE_REPLY_BYTES, as a node with a real cluster's
 * labels would: status posts ask for the metadata alone, in protobuf.
 */
export async function padNode(api: ApiServer, node: string) {
    const current: any = await asAdmin(api).call("GET", nodePath(node))
    const size = Buffer.byteLength(JSON.stringify(current.metadata))
    // the admin's own managedFields entry grows it a little more
    await annotate(api, node, PADDING_KEY, "x".repeat(Math.max(0, NODE_REPLY_BYTES + PROTOBUF_SLACK_BYTES - size)))
}

const asAdmin = (api: ApiServer) => new ReplayClient(api, { token: api.tokens.admin, userAgent: "kubectl/v1.31.1", keepAlive: false })

/** An annotation on the Node, set as `kubectl annotate` sets it (a JSON merge patch, as the admin). */
async function annotate(api: ApiServer, node: string, key: string, value: string) {
    await asAdmin(api).call("PATCH", nodePath(node), JSON.stringify({ metadata: { annotations: { [key]: value } } }), MERGE_PATCH)
}

/** The registry's 206 replies to GETs of a layer so far (its access log). */
function rangeReplies(registry: Registry, layerDigest: string): number {
    const log = readFileSync(registry.logFile, "utf8")
    return log.split("\n").filter(l => l.includes(`"GET /v2/`) && l.includes(`/blobs/${layerDigest} `) && / 206 \d+ /.test(l)).length
}

interface Collected {
    status: number[]
    podStored: number[]
    podGet: number[]
    podList: number[]
}

const sizes = (xs: number[]): Sizes | undefined => (xs.length ? { min: Math.min(...xs), max: Math.max(...xs) } : undefined)
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** The log lines that end the phases every trial goes through, in the order the firmware logs them. */
const COMMON_PHASES: { phase: Phase; end: RegExp }[] = [
    { phase: "boot", end: /^kubelet: clock anchored/ },
    // a node name a trial used before is adopted (409) rather than created
    { phase: "registration", end: /^lease: (created kube-node-lease\/|kube-node-lease\/\S+ exists)/ },
]

/** Where a trial whose work is `work` died: the first common phase whose end it never logged, else its own work. */
export function whereDied(lines: string[], work: string): string {
    for (const c of COMMON_PHASES) if (!lines.some(l => c.end.test(l))) return c.phase
    return work
}

/** A trial the firmware failed: why, where, and its last lines. */
function failedTrial(fw: Firmware, e: FirmwareFailure, t: Omit<Trial, "ok" | "detail">, work: string): Trial {
    const lines = fw.linesFrom(0)
    const program = lines.filter(l => !l.startsWith("heapdump: "))
    return { ...t, ok: false, detail: e.message.split("\n")[0], lastLines: program.slice(-12), diedIn: whereDied(program, work), oom: oomDump(lines) }
}

/** One trial: the cycle, or with `pull` the pull of a firmware image in its place. */
export async function trial(api: ApiServer, plan: Plan, kb: number, pods: number, collected: Collected, pull?: PullTarget): Promise<Trial> {
    const started = Date.now()
    const node = `esp-${pull ? "pull" : "heap"}-${kb}k-${pods}p`
    const names = Array.from({ length: pods }, (_, i) => `${node}-web-${i + 1}`)
    const { renewals, statusPosts, statusSecs } = plan.heap
    const fw = await Firmware.start(api, {
        node,
        entry: BALLAST_ENTRY,
        settings: {
            BALLAST_KB: kb,
            RENEW_SECS: 1,
            POD_SECS: 1,
            STATUS_SECS: pull ? PULL_STATUS_SECS : statusSecs,
            // the default, unless the trial runs more pods than it allows
            ...(pods > MAX_PODS ? { MAX_PODS: pods } : {}),
        },
    })
    const seconds = () => Math.round((Date.now() - started) / 100) / 10
    const podStored: number[] = []
    const windowsBefore = pull ? rangeReplies(pull.registry, pull.layerDigest) : 0
    let pullSeconds = 0
    try {
        const cycleMs = (renewals + statusPosts * statusSecs) * 1000 + 60000
        await fw.guard(
            pull ? "in the pull trial" : "in the cycle",
            (async () => {
                await fw.waitFor(new RegExp(`^ballast: ${kb} KB held`), 30000)
                await fw.waitFor(/^kubelet: node \S+ registered/, 30000)
                await padNode(api, node)
                const padded = fw.lineCount
                // bound as the scheduler binds them; the firmware finds them on its next listing
                for (const name of names) podStored.push(await createPod(api, benchPod(name, node)))
                for (const name of names) await fw.waitFor(new RegExp(`^pods: default/${escape(name)} Running`), 30000 + 3000 * pods, padded)
                if (pull) {
                    // a node in service: annotated once it has renewed and confirmed its own image (annotated at
                    // once, the updater's state read right after begin can still be the confirm's: refused, no error)
                    await fw.waitFor(/^firmware: confirmed/, 30000)
                    const annotated = fw.lineCount
                    await annotate(api, node, FIRMWARE_ANNOTATION, pull.reference)
                    const from = await fw.waitFor(/^firmware: pulling 0%/, PULL_TIMEOUT_MS, annotated)
                    const to = await fw.waitFor(/^firmware: commit /, PULL_TIMEOUT_MS, annotated)
                    pullSeconds = Math.round((to.at - from.at) / 100) / 10
                    return
                }
                // the cycle proper: renewals and status posts while every pod runs
                const running = fw.lineCount
                await Promise.all([
                    fw.waitForNth(/^lease: renewed #/, renewals, cycleMs, running),
                    fw.waitForNth(/^status: posted \(report period\)/, statusPosts, cycleMs, running),
                ])
            })()
        )
        if (pull) {
            await fw.stop()
            const windows = rangeReplies(pull.registry, pull.layerDigest) - windowsBefore
            const detail = `${pods ? `${pods} pods Running, then ` : ""}pulled in ${pullSeconds} s (${windows} Range windows), committed`
            return { kb, pods, phase: "pull", ok: true, detail, seconds: seconds(), pull: { seconds: pullSeconds, windows } }
        }
        const stopped = names.filter(n => !podRunning(api.store.getPod("default", n)))
        if (stopped.length) throw new FirmwareFailure(`pod(s) not Running and Ready at the cycle's end: ${stopped.join(", ")}`)
        const replies = (match: (path: string) => boolean) =>
            api.log.entries.filter(e => e.status === 200 && match(e.path)).map(e => e.httpBytesOut)
        const status = replies(p => p.includes(`/nodes/${node}/status`)).slice(1) // the initial post may have come before the padding
        collected.status.push(...status)
        collected.podStored.push(...podStored)
        collected.podGet.push(...replies(p => names.some(n => p === `/api/v1/namespaces/default/pods/${n}`)))
        if (pods) collected.podList.push(...replies(p => p.startsWith("/api/v1/pods?") && p.includes(`spec.nodeName%3D${node}%2C`)).slice(-renewals))
        const with_ = pods ? `${pods} pods Running, then ` : ""
        return { kb, pods, ok: true, detail: `${with_}${renewals} renewals, ${status.length} status posts answered`, seconds: seconds() }
    } catch (e) {
        // the firmware failing is the answer; anything else is the bench's own error
        if (!(e instanceof FirmwareFailure)) throw e
        return failedTrial(fw, e, { kb, pods, seconds: seconds(), phase: pull ? "pull" : undefined }, pull ? "pull" : "cycle")
    } finally {
        await fw.stop()
        for (const name of names) await deletePod(api, name, true)
    }
}

/**
 * Searches [lo, hi] (lo taken as passing, hi as failing) down to the plan's
 * resolution. A bisection starts at `first`; a search up (down) starts one
 * step above lo (below hi) and doubles its step while trials keep passing
 * (failing), then bisects: cheap when the answer lies near a known bound.
 */
async function search(
    how: Headroom["how"],
    pods: number,
    bounds: { lo: number; hi: number; first?: number },
    run: Run,
    resolutionKb: number
): Promise<Headroom> {
    let { lo, hi } = bounds
    const trials: Trial[] = []
    let step = resolutionKb
    let galloping = how !== "bisection"
    const mid = () => Math.floor((lo + hi) / 2)
    let probe = how === "search up" ? lo + step : how === "search down" ? hi - step : (bounds.first ?? mid())
    while (hi - lo > resolutionKb) {
        if (probe <= lo || probe >= hi) probe = mid()
        const t = await run(probe, pods)
        trials.push(t)
        if (t.ok) lo = probe
        else hi = probe
        if (galloping && (how === "search up") === t.ok) {
            step *= 2
            probe = how === "search up" ? lo + step : hi - step
            if (probe > lo && probe < hi) continue
        }
        galloping = false
        probe = mid()
    }
    return { pods, how, passedKb: lo, failedKb: hi, trials }
}

/** A bisection that took 0 KB as passing and ended there: tries it. */
async function tryZero(h: Headroom, run: Run): Promise<Headroom> {
    if (h.passedKb !== 0) return h
    const t = await run(0, h.pods)
    h.trials.push(t)
    if (!t.ok) {
        h.failedKb = 0
        h.passedKb = undefined
    }
    return h
}

export type Run = (kb: number, pods: number) => Promise<Trial>

const oneTrial = (t: Trial): Headroom => ({ pods: t.pods, how: "one trial", passedKb: t.ok ? t.kb : undefined, failedKb: t.ok ? undefined : t.kb, trials: [t] })

/** The full plan: bisection with MAX_PODS pods, first probe at the goal, then a search up without them from what passed. */
export async function bisect(run: Run, res: number): Promise<{ withPods: Headroom; noPods: Headroom }> {
    const withPods = await tryZero(await search("bisection", MAX_PODS, { lo: 0, hi: HEAP_KB, first: GOAL_KB }, run, res), run)
    // no pods cannot need more heap than MAX_PODS pods: search up from what passed with them
    const noPods = withPods.passedKb
        ? await search("search up", 0, { lo: withPods.passedKb, hi: HEAP_KB }, run, res)
        : await search("bisection", 0, { lo: 0, hi: HEAP_KB, first: GOAL_KB }, run, res)
    return { withPods, noPods }
}

/**
 * The quick plan: which side of the goal the firmware is on, in as few trials
 * as that takes. One trial with MAX_PODS pods at the goal; when it passes,
 * no pods pass there too (they cannot need more heap). When it fails, one
 * trial without pods at the goal says whether the pods made it fail, and a
 * bisection below the goal follows.
 */
export async function sideOfGoal(run: Run, res: number): Promise<{ withPods: Headroom; noPods: Headroom }> {
    const atGoal = await run(GOAL_KB, MAX_PODS)
    if (atGoal.ok) return { withPods: oneTrial(atGoal), noPods: { pods: 0, how: "implied by the trial with pods", passedKb: GOAL_KB, trials: [] } }
    const noPods = oneTrial(await run(GOAL_KB, 0))
    const below = await tryZero(await search("bisection", MAX_PODS, { lo: 0, hi: GOAL_KB }, run, res), run)
    return { withPods: { ...below, trials: [atGoal, ...below.trials] }, noPods }
}

export async function benchHeap(api: ApiServer, plan: Plan): Promise<HeapHeadroom> {
    const collected: Collected = { status: [], podStored: [], podGet: [], podList: [] }
    const trials: Trial[] = []
    const run = async (kb: number, pods: number) => {
        const t = await trial(api, plan, kb, pods, collected)
        trials.push(t)
        console.error(`bench: heap trial ${t.kb} KB, ${t.pods} pods: ${t.ok ? "completed" : "FAILED"} (${t.detail}) in ${t.seconds} s`)
        return t
    }
    const res = plan.heap.resolutionKb
    const { withPods, noPods } = plan.heap.search === "goal" ? await sideOfGoal(run, res) : await bisect(run, res)
    const passed = withPods.passedKb
    const failed = withPods.failedKb
    // twice as many pods cannot need less: search down from what failed with MAX_PODS
    let doublePods: Headroom | undefined
    let podsAtNoBallast: PodCount | undefined
    if (plan.heap.doublePods === "search") {
        if (passed !== undefined) doublePods = await search("search down", 2 * MAX_PODS, { lo: 0, hi: failed! }, run, res)
        // MAX_PODS does not fit even without ballast: how many pods do
        else podsAtNoBallast = await podCount(run)
    }
    // the pull cannot be expected on either side of the cycle without pods: its headroom is the first probe
    const pull = plan.heap.pull ? await benchPull(api, plan, noPods.passedKb ?? GOAL_KB) : undefined
    const phasesPlan = PHASES_PLAN[plan.name]
    const phases = phasesPlan ? await benchPhases(api, phasesPlan, [...trials, ...(pull?.search?.trials ?? [])], pull) : undefined
    const freeAtIdle = plan.name === "full" ? await probeFreeAtIdle(api) : undefined
    const statusReplyBytes = sizes(collected.status)
    if (statusReplyBytes && statusReplyBytes.min < NODE_REPLY_BYTES)
        throw new Error(`status replies of ${statusReplyBytes.min} B: the cycle was meant to carry ${NODE_REPLY_BYTES} B Nodes`)
    return {
        maxPods: MAX_PODS,
        passedKb: passed,
        failedKb: failed,
        withPods,
        noPods,
        doublePods,
        podsAtNoBallast,
        trials,
        goalKb: GOAL_KB,
        goal: (passed ?? -1) >= GOAL_KB,
        statusReplyBytes,
        podBytes: sizes(collected.podStored),
        podReplyBytes: sizes(collected.podGet),
        podListReplyBytes: sizes(collected.podList),
        pull,
        phases,
        phasesPlan,
        freeAtIdle,
    }
}

/** When the heap probe fills the heap: after bootstrap and the first renewals, between two of them (RENEW_SECS=10). */
const PROBE = { secs: 25, renewSecs: 10 }

/**
 * The free heap at idle, no pods (full run only): what the program holds
 * between requests, against which the bisections' peaks are transient.
 */
export async function probeFreeAtIdle(api: ApiServer): Promise<{ kb: number; seconds: number } | undefined> {
    const fw = await Firmware.start(api, {
        node: "esp-heap-probe",
        entry: "test/integration/firmware/heap-probe.ts",
        settings: { RENEW_SECS: PROBE.renewSecs, STATUS_SECS: 300, PROBE_SECS: PROBE.secs },
    })
    try {
        await Promise.race([fw.died, new Promise(r => setTimeout(r, (PROBE.secs + 60) * 1000))])
        const probes = fw.linesFrom(0).filter(l => l.startsWith("probe: "))
        return probes.length ? { kb: Number(probes[probes.length - 1].slice(7).split(" ")[0]), seconds: PROBE.secs } : undefined
    } finally {
        await fw.stop()
    }
}

/**
 * Headroom during a firmware pull: a real registry, the firmware built as
 * another version (0.2.0) and pushed once, then trials that annotate the
 * node with its digest-pinned reference and pass when the firmware commits
 * it, bisected over the ballast from `firstKb`, no pods.
 */
export async function benchPull(api: ApiServer, plan: Plan, firstKb: number): Promise<PullHeadroom> {
    let registry: Registry
    try {
        registry = await startRegistry({ log: line => console.error(`bench: ${line}`) })
    } catch (e) {
        if (e instanceof RegistrySkipped) {
            console.error(`bench: no headroom during a pull: ${e.message}`)
            return { skipped: e.message }
        }
        throw e
    }
    try {
        const fw = await buildFirmwareVariant("0.2.0")
        const pushed = await pushFirmware(`${registry.host}/picokubelet/firmware:v2`, fw)
        const target = { registry, reference: `${registry.host}/picokubelet/firmware@${pushed.digest}`, layerDigest: `sha256:${fw.sha256}` }
        const collected: Collected = { status: [], podStored: [], podGet: [], podList: [] }
        const run = async (kb: number, pods: number) => {
            const t = await trial(api, plan, kb, pods, collected, target)
            console.error(`bench: pull trial ${t.kb} KB: ${t.ok ? "committed" : "FAILED"} (${t.detail}) in ${t.seconds} s`)
            return t
        }
        const search_ = await tryZero(await search("bisection", 0, { lo: 0, hi: HEAP_KB, first: firstKb }, run, plan.heap.resolutionKb), run)
        const atPassed = search_.trials.find(t => t.ok && t.kb === search_.passedKb)
        if (atPassed) console.error(`bench: headroom during a pull ${search_.passedKb} KB: at it, the pull took ${atPassed.pull!.seconds} s in ${atPassed.pull!.windows} Range windows`)
        return { reference: target.reference, version: fw.firmwareVersion, layerBytes: fw.bytecode.length, search: search_, atPassed }
    } finally {
        await registry.stop()
    }
}

/** The phases, in the order the firmware goes through them: boot and registration come first in every trial. */
export type Phase = "boot" | "registration" | "renewals" | "status posts" | "pod walk" | "pull"

export interface PhasesPlan {
    /** Renewals the renewals phase must log, with no status post due. */
    renewals: number
    /** Report-period status posts the status phase must log, each answered with a padded Node. */
    statusPosts: number
    resolutionKb: number
}

/** Per-phase bisection: the full run only (the quick plan does not grow). */
export const PHASES_PLAN: Record<Plan["name"], PhasesPlan | undefined> = {
    full: { renewals: 20, statusPosts: 5, resolutionKb: 1 },
    quick: undefined,
}

/** STATUS_SECS and POD_SECS of a phase that is not about them: no report-period post, one (empty) pod listing as the fibers start. */
const QUIET_SECS = 3600

export interface PhaseHeadroom extends Headroom {
    phase: Phase
    /** What a trial of this phase gets through. */
    work: string
    /** The trial at failedKb that bounds this phase: its own, or one that died earlier in another trial (phases are cumulative). */
    failing?: Trial
}

/** What a trial of each phase must log, after its settings' cadence. */
function phaseWork(phase: Phase, p: PhasesPlan): string {
    switch (phase) {
        case "boot":
            return "the ballast taken, the settings, the network, up to `kubelet: clock anchored`"
        case "registration":
            return "the Node registered and its Lease created"
        case "renewals":
            return `${p.renewals} renewals, no status post due (STATUS_SECS=${QUIET_SECS})`
        case "status posts":
            return `${p.statusPosts} report-period status posts (STATUS_SECS=1), each answered with a Node of >= ${NODE_REPLY_BYTES / 1024} KB`
        case "pod walk":
            return `${MAX_PODS} real-sized pods reported Running (POD_SECS=1)`
        case "pull":
            return "a firmware pull: an image from an OCI registry in Range windows to its commit (the pull trial above)"
    }
}

/** A trial that got through `phase`: boot and registration precede every trial's own phase. */
export function gotThrough(t: Trial, phase: Phase): boolean {
    const at = COMMON_PHASES.findIndex(c => c.phase === phase)
    // a trial of boot stopped there: it says nothing of registration
    const own = COMMON_PHASES.findIndex(c => c.phase === t.phase)
    if (t.ok) return own >= 0 ? at >= 0 && at <= own : at >= 0 || t.phase === phase
    const died = COMMON_PHASES.findIndex(c => c.phase === t.diedIn)
    return at >= 0 && (died < 0 || died > at)
}

/** A trial that failed `phase`, in it or in a phase every trial of it goes through first. */
export function failedIn(t: Trial, phase: Phase): boolean {
    if (t.ok) return false
    const died = COMMON_PHASES.findIndex(c => c.phase === t.diedIn)
    if (died < 0) return t.phase === phase
    const at = COMMON_PHASES.findIndex(c => c.phase === phase)
    return at < 0 || at >= died
}

/** One trial of a phase: boot with the ballast, stop as soon as the phase is done. */
export async function phaseTrial(api: ApiServer, phase: Phase, kb: number, p: PhasesPlan): Promise<Trial> {
    const started = Date.now()
    const node = `esp-phase-${phase.replace(" ", "-")}-${kb}k`
    const pods = phase === "pod walk" ? MAX_PODS : 0
    const names = Array.from({ length: pods }, (_, i) => `${node}-web-${i + 1}`)
    const fw = await Firmware.start(api, {
        node,
        entry: BALLAST_ENTRY,
        settings: {
            BALLAST_KB: kb,
            RENEW_SECS: 1,
            STATUS_SECS: phase === "status posts" ? 1 : QUIET_SECS,
            POD_SECS: phase === "pod walk" ? 1 : QUIET_SECS,
        },
    })
    const seconds = () => Math.round((Date.now() - started) / 100) / 10
    try {
        const detail = await fw.guard(
            `in ${phase}`,
            (async () => {
                await fw.waitFor(new RegExp(`^ballast: ${kb} KB held`), 30000)
                await fw.waitFor(COMMON_PHASES[0].end, 30000)
                if (phase === "boot") return "clock anchored"
                await fw.waitFor(COMMON_PHASES[1].end, 30000)
                if (phase === "registration") return "node registered, lease created"
                if (phase === "renewals") {
                    await fw.waitForNth(/^lease: renewed #/, p.renewals, 3000 * p.renewals + 30000)
                    return `${p.renewals} renewals`
                }
                if (phase === "status posts") {
                    // bootstrap's own post, before the padding, is not one of the phase's
                    await fw.waitFor(/^status: posted \(initial\)/, 30000)
                    await padNode(api, node)
                    const [lines, entries] = [fw.lineCount, api.log.entries.length]
                    await fw.waitForNth(/^status: posted \(report period\)/, p.statusPosts, 3000 * p.statusPosts + 30000, lines)
                    const replies = api.log.entries.slice(entries).filter(e => e.status === 200 && e.path.includes(`/nodes/${node}/status`))
                    const smallest = Math.min(...replies.map(e => e.httpBytesOut))
                    if (smallest < NODE_REPLY_BYTES) throw new Error(`a status reply of ${smallest} B: the phase was meant to carry ${NODE_REPLY_BYTES} B Nodes`)
                    return `${p.statusPosts} status posts answered (${replies.length} replies of >= ${smallest} B)`
                }
                const registered = fw.lineCount
                for (const name of names) await createPod(api, benchPod(name, node))
                for (const name of names) await fw.waitFor(new RegExp(`^pods: default/${escape(name)} Running`), 30000 + 3000 * pods, registered)
                return `${pods} pods Running`
            })()
        )
        return { kb, pods, phase, ok: true, detail, seconds: seconds() }
    } catch (e) {
        if (!(e instanceof FirmwareFailure)) throw e
        return failedTrial(fw, e, { kb, pods, phase, seconds: seconds() }, phase)
    } finally {
        await fw.stop()
        for (const name of names) await deletePod(api, name, true)
    }
}

/**
 * Headroom per phase, bisected phase after phase. Every trial's outcome
 * (`earlier` ones too: the cycle's, the pull's) narrows the search of every
 * phase it says something about: a trial that got through registration
 * passed boot at its ballast, one that died in boot failed every phase at
 * it. The pull is not searched again: its row is the pull's own search.
 */
export async function benchPhases(api: ApiServer, p: PhasesPlan, earlier: Trial[], pull?: PullHeadroom): Promise<PhaseHeadroom[]> {
    const seen = [...earlier]
    const rows: PhaseHeadroom[] = []
    const phases: Phase[] = ["boot", "registration", "renewals", "status posts", "pod walk"]
    for (const phase of phases) {
        const run = async (kb: number) => {
            const t = await phaseTrial(api, phase, kb, p)
            seen.push(t)
            const where = t.ok ? "" : `, died in ${t.diedIn}`
            console.error(`bench: heap phase ${phase} at ${kb} KB: ${t.ok ? "done" : "FAILED"} (${t.detail}${where}) in ${t.seconds} s`)
            return t
        }
        const lo = Math.max(0, ...seen.filter(t => gotThrough(t, phase)).map(t => t.kb))
        const hi = Math.min(HEAP_KB, ...seen.filter(t => failedIn(t, phase)).map(t => t.kb))
        const h = await search("bisection", phase === "pod walk" ? MAX_PODS : 0, { lo, hi }, run, p.resolutionKb)
        // 0 KB was taken as passing: unless a trial got through the phase there, try it
        const zero = h.passedKb === 0 && !seen.some(t => t.kb === 0 && gotThrough(t, phase)) ? await tryZero(h, run) : h
        const failing = seen.find(t => t.kb === zero.failedKb && failedIn(t, phase))
        rows.push({ ...zero, phase, work: phaseWork(phase, p), failing })
    }
    if (pull?.search) {
        const failing = pull.search.trials.find(t => t.kb === pull.search!.failedKb && !t.ok)
        rows.push({ ...pull.search, phase: "pull", work: phaseWork("pull", p), failing })
    }
    return rows
}

const kbText = (kb: number | undefined) => (kb === undefined ? "none" : `${kb} KB`)

/** The per-phase headroom as markdown lines for the report; none when it was not measured. */
export function phasesSection(h: HeapHeadroom): string[] {
    const rows = h.phases
    if (!rows?.length) return []
    const trials = rows.reduce((n, r) => n + r.trials.length, 0)
    const first = rows.filter(r => r.failedKb !== undefined).reduce((a, b) => (b.failedKb! < a.failedKb! ? b : a))
    const out = [
        "### Where the peak goes: headroom per phase",
        "",
        `The largest ballast (1 KB Buffers held from boot, as in the cycle above) with which the firmware gets through each phase, ` +
            `bisected to ${h.phasesPlan?.resolutionKb} KB, RENEW_SECS=1 throughout; a trial stops as soon as its phase is done ` +
            `(the firmware's log says so), and STATUS_SECS and POD_SECS are ${QUIET_SECS} in the phases that are not about them. ` +
            `Phases are cumulative: every trial boots and registers before its own phase, so no phase's headroom can exceed boot's ` +
            `or registration's: a phase's figure is the most the firmware can hold from boot to the end of that phase, not what the phase alone costs. ` +
            `Every trial's outcome narrows every phase it says something about (one that died in boot failed them all at its ballast), ` +
            `the cycle's and the pull's trials included, so a phase's bound may come from another phase's trial. ${trials} trial(s) of their own.`,
        "",
        "| phase | a trial gets through | headroom | fails at | the failing trial died in | trials |",
        "|---|---|---|---|---|---|",
        ...rows.map(r => {
            const f = r.failing
            const died = f ? `${f.diedIn}${f.phase !== r.phase ? ` (a ${f.phase ?? "cycle"} trial)` : ""}${f.oom ? `: ${oomText(f.oom)}` : ""}` : ""
            return `| ${r.phase} | ${r.work} | ${kbText(r.passedKb)} | ${kbText(r.failedKb)} | ${died} | ${r.trials.length} |`
        }),
        "",
        `The phase where a ballast first fails, as it grows: ${first.phase}, at ${first.failedKb} KB ` +
            `(${rows.filter(r => r.phase !== first.phase && r.failedKb === first.failedKb).map(r => r.phase).join(", ") || "no other phase"} fails there too).`,
    ]
    for (const r of rows.filter(r => r.failing?.lastLines)) {
        out.push("", `${r.phase}: the trial at ${r.failedKb} KB, ${r.failing!.detail}; its last lines:`, "", "```", ...r.failing!.lastLines!.slice(-6), "```")
    }
    return out
}
