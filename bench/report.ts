// The Markdown report: a summary table with goals, then each figure's
// details and how it was measured, so a reader can judge the numbers.
import type { TransportBench } from "./transport"
import { Bytecode } from "./bytecode"
import { perHour, streamPerHour } from "./cost"
import type { RenewalChurn, IntervalStats } from "./churn"
import { Headroom, HeapHeadroom, NODE_REPLY_BYTES, oomText, phasesSection, PullHeadroom, Trial } from "./heap"
import { SoakResult, soakSection } from "./soak"
import { Floor, floorTable } from "./floor"
import { heartbeatsPerHour, HEARTBEATS, Peers } from "./peers"
import { HEAP_KB, Plan, REAL } from "./plan"
import { readFileSync } from "node:fs"
import { boardFraction, PATCH, STOCK_FRACTION } from "../tools/simulator/board-gc.cjs"
import { API_TOLERANCE, HOST_TOLERANCE, Rack, RackSample } from "./rack"
import { Timing } from "./timing"
import { WireCost } from "./wire-cost"

export interface Results {
    plan: Plan
    command: string
    startedAt: Date
    commit: string
    machine: string
    emulatorUrl: string
    /** Seconds spent waiting for another simulator session before the run began. */
    lockWaitSeconds: number
    /** Seconds each step took, in order. */
    steps: { name: string; seconds: number }[]
    wire: WireCost
    heap: HeapHeadroom
    timing: Timing
    churn: RenewalChurn
    bytecode: Bytecode
    transport: TransportBench
    rack: Rack
    /** Peers on a real control plane: the full run only. */
    peers?: Peers
    /** The simulated day (full run only). */
    soak?: SoakResult
}

const KB = (b: number) => `${(b / 1024).toFixed(1)} KB`
const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`
const verdict = (ok: boolean) => (ok ? "PASS" : "MISS")
const x = (r: number) => `${r.toFixed(2)}x`
const row = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`
const pct = (v: number) => `${v.toFixed(1)} %`

/** What a search found: both bounds, or what its one trial said. */
export function headroomText(h: Headroom): string {
    if (h.failedKb === 0) return "none: the cycle fails with no ballast"
    if (h.passedKb !== undefined && h.failedKb !== undefined) return h.passedKb ? `${h.passedKb} KB (${h.failedKb} KB fails)` : `< ${h.failedKb} KB`
    if (h.passedKb !== undefined && !h.trials.length) return `>= ${h.passedKb} KB (${h.how})`
    if (h.passedKb !== undefined) return `>= ${h.passedKb} KB (one trial at ${h.passedKb} KB passed)`
    if (h.failedKb !== undefined) return `< ${h.failedKb} KB (one trial at ${h.failedKb} KB failed)`
    return "not measured"
}

/** The headroom during a pull, and the pull at the ballast that passed. */
function pullText(p: PullHeadroom): string {
    if (!p.search) return `not measured: ${p.skipped}`
    const at = p.atPassed?.pull
    return headroomText(p.search) + (at ? `; the pull at ${p.atPassed!.kb} KB took ${at.seconds} s, ${at.windows} Range windows` : "")
}

const intervals = (s: IntervalStats) =>
    `mean ${sec(s.meanMs)}, p50 ${sec(s.p50Ms)}, p95 ${sec(s.p95Ms)}, max ${sec(s.maxMs)}; jitter ${pct(s.jitterPct)}`

function summary(r: Results): string[] {
    const { wire, heap, timing, transport } = r
    const [ours, seed, kubelet] = wire.clients.map(perHour)
    const n = timing.samples.length
    const oursHs = ours.handshakes
    return [
        row(["figure", "value", "goal", ""]),
        row(["---", "---", "---", "---"]),
        row(["1a. wire cost per hour, picokubelet", `${KB(ours.total)} (up ${KB(ours.up)}, down ${KB(ours.down)})`, "", ""]),
        row(["1b. wire cost per hour, the seed's pattern (replayed)", `${KB(seed.total)} (up ${KB(seed.up)}, down ${KB(seed.down)})`, "", ""]),
        row(["1c. wire cost per hour, the upstream kubelet's pattern (replayed)", `${KB(kubelet.total)} (up ${KB(kubelet.up)}, down ${KB(kubelet.down)})`, "", ""]),
        row(["1. ours / seed", x(wire.ratios.seed), `<= ${wire.goalValues.vsSeed}x`, verdict(wire.goals.vsSeed)]),
        row(["1. ours / kubelet", x(wire.ratios.kubelet), `<= ${wire.goalValues.vsKubelet.toFixed(1)}x`, verdict(wire.goals.vsKubelet)]),
        row(["2. TLS handshakes per hour in steady state, picokubelet", oursHs.toFixed(0), "0 after the first", verdict(wire.goals.noHandshakes)]),
        row([
            `3. heap headroom at MAX_PODS=${heap.maxPods} pods running (ballast held through a full cycle)`,
            headroomText(heap.withPods),
            `>= ${heap.goalKb} KB`,
            verdict(heap.goal),
        ]),
        row(["3. heap headroom, same cycle with no pods", headroomText(heap.noPods), "", ""]),
        ...(heap.freeAtIdle
            ? [row([`3. free heap at idle, no pods (${heap.freeAtIdle.seconds} s after start, between renewals; the heap probe fills it)`, `${heap.freeAtIdle.kb} KB`, "", ""])]
            : []),
        ...(heap.doublePods
            ? [row([`3. heap headroom at ${heap.doublePods.pods} pods running (MAX_PODS=${heap.doublePods.pods})`, headroomText(heap.doublePods), "", ""])]
            : []),
        ...(heap.pull ? [row(["3. heap headroom during a pull (no pods, a firmware image from an OCI registry in Range windows to its commit)", pullText(heap.pull), "", ""])] : []),
        ...(heap.podsAtNoBallast
            ? [row(["3. pods the cycle holds with no ballast", `${heap.podsAtNoBallast.passedPods} (${heap.podsAtNoBallast.failedPods} fail)`, `MAX_PODS=${heap.maxPods}`, ""])]
            : []),
        ...(r.soak
            ? [
                  row([
                      `3. a simulated day: ${r.soak.renewals} renewals at RENEW_SECS=${r.soak.renewSecs}, ${r.soak.pods} pods, ${r.soak.ballastKb} KB of ballast (headroom - 4 KB)`,
                      r.soak.ok ? `${r.soak.renewed} renewed, ${r.soak.late} late, no restart` : `**failed**: ${r.soak.failure}`,
                      "no out-of-memory, no restart, renewals on time",
                      verdict(r.soak.ok),
                  ]),
              ]
            : []),
        row([
            `4. time to Ready, \`start:\` line to Ready=True, median of ${n}`,
            `${sec(timing.median.readyFromStartMs)} (${sec(timing.median.connectingFromStartMs)} of it before the first connect)`,
            "",
            "",
        ]),
        row([`4. time to Ready from launch (devtools, VM, build, deploy), median of ${n}`, sec(timing.median.readyFromLaunchMs), "", ""]),
        row([
            `4. recovery at RENEW_SECS=${timing.renewSecs}: emulator back after ${sec(timing.outageMs)} down to the next renewal, median of ${n}`,
            `${sec(timing.median.recoveryMs)} (outage start to renewal ${sec(timing.median.outageTotalMs)}` +
                (timing.median.readyAgainMs === undefined ? ")" : `; Unknown, then Ready again ${sec(timing.median.readyAgainMs)} after the return)`),
            "",
            "",
        ]),
        row(["5. bytecode", `${r.bytecode.total} (${r.bytecode.sections})`, "", ""]),
        row([`6. lease renewal intervals, RENEW_SECS=${r.churn.periodMs / 1000}, no pods, ${r.churn.noChurn.count}`, intervals(r.churn.noChurn), "", ""]),
        row([`6. lease renewal intervals while pods churn, ${r.churn.churn.count}`, intervals(r.churn.churn) + (r.churn.died ? "; **the firmware died**" : ""), "", ""]),
        row(["6. churn / no churn (mean, p95, max)", `${x(r.churn.ratio.mean)}, ${x(r.churn.ratio.p95)}, ${x(r.churn.ratio.max)}`, "", ""]),
        ...rackSummary(r.rack),
        ...(r.peers ? peersSummary(r.peers) : []),
        row([
            "transport: requests per TLS handshake, ours",
            (transport.ours.requests / Math.max(1, transport.ours.connections)).toFixed(0),
            ">= 100",
            verdict(transport.goals.requestsPerHandshake),
        ]),
        row([
            "transport: bytes per request, stock fetch / ours",
            `${x(transport.stock.bytesPerRequest / Math.max(1, transport.ours.bytesPerRequest))} (${transport.stock.bytesPerRequest} B / ${transport.ours.bytesPerRequest} B)`,
            ">= 4x",
            verdict(transport.goals.fourTimesFewerBytes),
        ]),
    ]
}

function wireSection(r: Results): string[] {
    const { wire, plan } = r
    const o = wire.ours
    const lines = [
        "## 1. Wire cost per hour of steady state",
        "",
        "![wire cost per hour](wire-cost.svg)",
        "",
        `Bytes are the emulator's counts on its TCP sockets (TLS records and handshakes included), both directions. ` +
            `Each client ran a shortened steady state after its boot (boot not counted): ${plan.wire.renewals} renewals and ` +
            `${plan.wire.statusPosts} status cycles, scaled to the real cadence: ${REAL.renewalsPerHour} renewals (every ${REAL.renewSecs} s) ` +
            `and ${REAL.statusPostsPerHour} status cycles (every ${REAL.statusSecs / 60} min) per hour, and picokubelet's listings of its pods ` +
            `(POD_SECS unset: the renewal period, so ${REAL.podListingsPerHour} an hour; no pods are bound in this window). Only one client talked to the emulator ` +
            `while it was measured (a window with anyone else's requests is measured again).`,
        "",
        row(["client", "lease renewals /h", "status posts /h", "pod listings /h", "reconnects, other /h", "total /h", "TLS handshakes /h", "requests /h"]),
        row(["---", "---:", "---:", "---:", "---:", "---:", "---:", "---:"]),
    ]
    for (const c of wire.clients) {
        const stream = (label: string) => {
            const s = c.streams.find(s => s.label === label)
            return s ? KB(streamPerHour(s).total) : "-"
        }
        const h = perHour(c)
        lines.push(
            row([
                c.name,
                stream("lease renewals"),
                stream("status posts"),
                stream("pod listings"),
                stream("reconnects and other"),
                `**${KB(h.total)}**`,
                h.handshakes.toFixed(0),
                h.requests.toFixed(0),
            ])
        )
    }
    lines.push("", "What each client does in steady state:", "")
    for (const c of wire.clients) {
        const measured = c.streams.map(s => `${s.label}: ${s.measured} measured, ${s.requests} requests, ${s.connections} connections, ${s.up} B up / ${s.down} B down`)
        lines.push(`- **${c.name}**: ${c.pattern}. Measured: ${measured.join("; ")}.`)
    }
    lines.push(
        "",
        `picokubelet, one request and its reply on average: a renewal ${o.renewal.up} B up (HTTP ${o.renewal.httpUp} B) and ` +
            `${o.renewal.down} B down (HTTP ${o.renewal.httpDown} B); a status post ${o.status.up} B up (HTTP ${o.status.httpUp} B) and ` +
            `${o.status.down} B down (HTTP ${o.status.httpDown} B). Its window lasted ${o.windowSeconds.toFixed(1)} s ` +
            `(RENEW_SECS=1, STATUS_SECS=${plan.wire.oursStatusSecs}); reconnects and handshakes seen in it are charged per renewal period.`,
        "",
        "How the baselines were replayed (Node's https client, the same TLS stack the simulator uses, against the same emulator):",
        "",
        "- The seed: `agent: false` (a new TLS connection and `Connection: close` per request), the emulator's ~0.9 KB ServiceAccount " +
            "JWT on every request, the whole Lease (holderIdentity, leaseDurationSeconds, renewTime) as a merge PATCH, and per status cycle " +
            "a strategic-merge status PATCH of all conditions followed by a merge PATCH of the heap annotation on the node itself. " +
            "Bodies are built by picokubelet's own src/k8s model code. Node's TLS 1.3 full handshakes; the seed's embedded-tls on the board would differ somewhat.",
        "- The upstream kubelet: one keep-alive connection, a PUT of the whole last-returned Lease (managedFields and resourceVersion included), " +
            "and the strategic-merge diff client-go sends when only heartbeats moved (`$setElementOrder/conditions` plus `lastHeartbeatTime` " +
            "of MemoryPressure, DiskPressure, PIDPressure, Ready). Not replayed: a real kubelet authenticates with a client certificate " +
            "(here the 23 B bootstrap token stands in), speaks HTTP/2 and protobuf (smaller), and keeps a watch on its own Node whose " +
            "events echo every status change back (larger).",
    )
    return lines
}

/** A trial's detail for a table: what it did or why it failed, with the heap at an out-of-memory. */
function trialDetail(t: Trial): string {
    return (t.detail + (t.oom ? `; ${oomText(t.oom)}` : "")).replace(/\|/g, "\\|")
}

function heapSection(r: Results): string[] {
    const h = r.heap
    const { plan } = r
    const range = (label: string, b?: { min: number; max: number }) => (b ? ` ${label}: ${b.min}-${b.max} B.` : "")
    const found = (what: string, s: Headroom) => `- ${what}: ${headroomText(s)}, ${s.how}${s.trials.length ? ` (${s.trials.length} trial(s))` : ", no trial"}.`
    const lines = [
        "## 3. Heap headroom",
        "",
        `test/integration/firmware/ballast.ts allocates BALLAST_KB 1 KB Buffers at start and holds them, then runs the kubelet ` +
            `(RENEW_SECS=1, POD_SECS=1, STATUS_SECS=${plan.heap.statusSecs}, MAX_PODS at its default of ${h.maxPods} unless a trial runs more). ` +
            `Right after registration an admin PATCH pads the emulator's Node with an annotation so that status replies are Node bodies of ` +
            `at least ${NODE_REPLY_BYTES} B (bodies over 2048 B are sent chunked), then the trial's pods are created bound to the node: ` +
            `bare two-container pods (restartPolicy Always) shaped as admission leaves them (labels, env, resources, the ServiceAccount ` +
            `token volume, default tolerations), managedFields added by the emulator. A trial passes when every pod is reported Running ` +
            `(the firmware's \`pods: ... Running\` line) and then, with all of them running, the firmware renews ${plan.heap.renewals} times ` +
            `and posts ${plan.heap.statusPosts} status reports, every pod still Running and Ready in the emulator at the end, without an ` +
            `OutOfMemory exception, a panic, or a program restart. ` +
            gcText() +
            (plan.heap.search === "bisect"
                ? `Bisection over the simulator's ${HEAP_KB} KB heap to ${plan.heap.resolutionKb} KB with MAX_PODS pods, first probe at the goal. ` +
                  "No pods: a search up from what passed with pods (a step, doubled while trials pass, then bisection). "
                : "Which side of the goal: one trial with MAX_PODS pods at the goal; no pods cannot need more heap, so they are not tried " +
                  `when it passes. When it fails, one trial without pods at the goal, then bisection below it to ${plan.heap.resolutionKb} KB. `) +
            (plan.heap.doublePods === "search" ? `${2 * h.maxPods} pods: a search down from the ballast that failed with ${h.maxPods}.` : "") +
            range("Status replies in passing cycles", h.statusReplyBytes) +
            range("Pods as stored (JSON)", h.podBytes) +
            range("The firmware's GET of a pod, replies", h.podReplyBytes) +
            range(`Its metadata-only listings of ${h.maxPods} pods, replies (a page each)`, h.podListReplyBytes),
        "",
        found(`with ${h.maxPods} pods running`, h.withPods),
        found("with no pods", h.noPods),
        ...(h.doublePods ? [found(`with ${h.doublePods.pods} pods running (MAX_PODS=${h.doublePods.pods})`, h.doublePods)] : []),
        ...(h.podsAtNoBallast
            ? [
                  `- ${h.maxPods} pods fail even with no ballast, so instead of ${2 * h.maxPods} pods the pod count was bisected at 0 KB: ` +
                      `${h.podsAtNoBallast.passedPods} pods pass, ${h.podsAtNoBallast.failedPods} fail (${h.podsAtNoBallast.trials.length} trial(s)).`,
              ]
            : []),
        "",
        row(["ballast", "pods", "result", "detail", "took"]),
        row(["---:", "---:", "---", "---", "---:"]),
        ...h.trials.map(t => row([`${t.kb} KB`, t.pods, t.ok ? "completed" : "**failed**", trialDetail(t), `${t.seconds} s`])),
        "",
        "A failed trial's last firmware lines are in results.json. Where it ran out of memory, the simulator's heap dumper " +
            "(tools/simulator/heap-dump-hook.cjs) says what the VM asked for and how the free heap was cut up at that moment: " +
            "with its largest piece smaller than what was asked, the heap was fragmented rather than full.",
        ...(h.pull ? ["", ...pullSection(h.pull)] : []),
        ...(h.phases ? ["", ...phasesSection(h)] : []),
        ...(r.soak ? ["", ...soakSection(r.soak)] : []),
    ]
    return lines
}

/** How often the simulator's VM collects: as the board's firmware, which the patch builds. */
function gcText(): string {
    const fraction = boardFraction(readFileSync(PATCH, "utf8"))
    return (
        `The simulator's VM collects garbage every ${(HEAP_KB * 1024) / fraction} B allocated, as the board's firmware does ` +
        `(native/patches/devicescript-gc-fraction.patch: JD_GC_FRACTION ${fraction}; stock DeviceScript collects every ` +
        `${HEAP_KB / STOCK_FRACTION} KB; tools/simulator/board-gc.cjs sets it). `
    )
}

function pullSection(p: PullHeadroom): string[] {
    if (!p.search) return [`Headroom during a pull: not measured (${p.skipped}).`]
    return [
        `Headroom during a pull: ${pullText(p)}. A real OCI registry (tools/registry, plain HTTP on loopback) holds the firmware built ` +
            `as ${p.version} (${KB(p.layerBytes!)}), pushed once. Each trial boots the ballast firmware with no pods (RENEW_SECS=1, POD_SECS=1, ` +
            `STATUS_SECS=2), pads its Node as above and, once the firmware has confirmed its own image after its first renewal (a node in service), annotates it with \`${p.reference}\`; it passes when the firmware logs ` +
            "`firmware: commit` (its pull of the manifest and of the layer in 2048-byte Range windows over the API server's socket done, " +
            "the updater about to deploy) within 180 s, without an OutOfMemory exception, a panic, or a program restart. The pull's time runs " +
            "from `firmware: pulling 0%` to `firmware: commit`; windows are the registry's 206 replies for the layer (its access log). " +
            `${p.search.how[0].toUpperCase()}${p.search.how.slice(1)} over the heap, first probe at the no-pods cycle's headroom.`,
        "",
        row(["ballast", "result", "detail", "took"]),
        row(["---:", "---", "---", "---:"]),
        ...p.search.trials.map(t => row([`${t.kb} KB`, t.ok ? "committed" : "**failed**", t.detail.replace(/\|/g, "\\|"), `${t.seconds} s`])),
    ]
}

function churnSection(r: Results): string[] {
    const c = r.churn
    const a = c.activity
    const line = (label: string, s: IntervalStats) =>
        row([label, s.count, sec(s.meanMs), sec(s.p50Ms), sec(s.p95Ms), sec(s.maxMs), pct(s.jitterPct)])
    return [
        "## 6. Renewal period with and without pod churn",
        "",
        `The kubelet as built (src/main.ts), RENEW_SECS=${c.periodMs / 1000}, POD_SECS=${c.periodMs / 1000}, MAX_PODS=${c.maxPods} (the default). ` +
            "Intervals between consecutive successful lease renewals as the emulator received them (its clock at each complete " +
            "PATCH of the node's Lease), first with no pods bound to the node, then while pods churn: from the first pod reported Running on, " +
            `the bench keeps ${c.livePods} unfinished pods bound (more than MAX_PODS, so some are rejected OutOfpods), half of the new ones ` +
            "restartPolicy Never with a pretend run of 1 s, half Always and deleted (gracefully, as `kubectl delete pod`) as soon as they run; " +
            "finished pods are removed. The churn's pods are lean (two containers with a name and an image, one label, the toleration): " +
            "real-sized ones do not fit the heap at MAX_PODS (section 3). Jitter: mean |interval - period| as a share of the period. Printed, never asserted.",
        "",
        row(["phase", "intervals", "mean", "p50", "p95", "max", "jitter"]),
        row(["---", "---:", "---:", "---:", "---:", "---:", "---:"]),
        line("no pods", c.noChurn),
        line("pod churn", c.churn),
        row(["churn / no churn", "", x(c.ratio.mean), "", x(c.ratio.p95), x(c.ratio.max), ""]),
        "",
        ...(c.died ? [`**The firmware died during the churn** (the churn row holds the intervals before): ${c.died.split("\n")[0]}`, ""] : []),
        `During the churned renewals the bench created ${a.created} pods; the firmware reported ${a.running} Running, ${a.succeeded} ` +
            `Succeeded, ${a.rejected} rejected (OutOfpods), ${a.deleted} deleted, and ${a.renewalFailures} renewal(s) failed and were retried.`,
        "",
        `Intervals without pods (ms): ${c.noChurn.intervalsMs.join(" ")}`,
        "",
        `Intervals with pod churn (ms): ${c.churn.intervalsMs.join(" ")}`,
    ]
}

function timingSection(r: Results): string[] {
    const t = r.timing
    return [
        "## 4. Time to Ready and recovery",
        "",
        (t.renewSecs === REAL.renewSecs
            ? `Firmware defaults (RENEW_SECS=${t.renewSecs}, STATUS_SECS=${REAL.statusSecs})`
            : `RENEW_SECS=${t.renewSecs} (shortened from the firmware's ${REAL.renewSecs} s, so that the outage and the recovery take fewer seconds) and STATUS_SECS=${REAL.statusSecs} (its default)`) +
            ", emulator grace period 40 s. Time to Ready runs from the " +
            "program's `start:` log line (and from devtools' first output, after any wait for another simulator session) to the emulator's " +
            "Ready=True transition; \"first connect\" is the transport's `connecting to` line (LED, settings and network address come before it). " +
            `Recovery: some seconds after a renewal (the offset, spread evenly over the ${t.renewSecs} s period across sessions) the emulator ` +
            `refuses connections for ${sec(t.outageMs)}; measured from its return to the next successful renewal. The lease fiber retries on ` +
            "its period's ticks (so up to one period plus jitter); the status fiber retries its post on its own sample ticks, so Ready can " +
            "return before the first renewal does.",
        "",
        row(["session", "start: to first connect", "start: to Ready", "launch to Ready", "outage offset", "back to renewal", "outage start to renewal", "went Unknown", "back to Ready again"]),
        row(["---:", "---:", "---:", "---:", "---:", "---:", "---:", "---", "---:"]),
        ...t.samples.map((s, i) =>
            row([
                i + 1,
                sec(s.connectingFromStartMs),
                sec(s.readyFromStartMs),
                sec(s.readyFromLaunchMs),
                sec(s.offsetMs),
                sec(s.recoveryMs),
                sec(s.outageTotalMs),
                s.wentUnknown ? "yes" : "no",
                s.readyAgainMs === undefined ? "-" : sec(s.readyAgainMs),
            ])
        ),
    ]
}

function bytecodeSection(r: Results): string[] {
    const b = r.bytecode
    return [
        "## 5. Bytecode",
        "",
        `\`devs build src/main.ts --stats\`: ${b.total} (${b.sections}). Largest functions:`,
        "",
        row(["function", "size"]),
        row(["---", "---:"]),
        ...b.largest.map(f => row([`\`${f.name}\``, f.size])),
    ]
}

const MB = (b: number) => `${(b / 2 ** 20).toFixed(0)} MB`
const cpuPct = (seconds: number, windowSeconds: number) => `${((100 * seconds) / windowSeconds).toFixed(1)} %`
const bytesPerSec = (s: RackSample) => s.nodes.map(l => (l.up + l.down) / s.windowSeconds)
const requestsPerMin = (s: RackSample) => s.nodes.map(l => (60 * l.requests) / s.windowSeconds)
const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)
const spread = (xs: number[], digits: number) => `${avg(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}-${Math.max(...xs).toFixed(digits)})`

function rackSummary(rack: Rack): string[] {
    const ok = rack.samples.filter(s => !s.failed)
    const last = ok[ok.length - 1]
    const worst = (f: (r: Rack["ratios"][number]) => number) => {
        const rs = rack.ratios.filter(r => r.boards > 1)
        return rs.length ? rs.reduce((w, r) => (Math.abs(f(r) - 1) > Math.abs(f(w) - 1) ? r : w)) : undefined
    }
    const api = worst(r => r.api)
    const rss = worst(r => r.rss)
    const cpu = worst(r => r.cpu)
    const failed = rack.samples.find(s => s.failed)
    return [
        ...(last
            ? [
                  row([
                      `7. the rack: all ${last.boards} boards Ready, from the first board's start`,
                      `${sec(last.readyMs!)} (${ok.map(s => `${s.boards}: ${sec(s.readyMs!)}`).join(", ")})`,
                      "",
                      "",
                  ]),
              ]
            : []),
        ...(api
            ? [
                  row([
                      "7. the rack: per-board API load / one board's (bytes/s, worst N)",
                      `${x(api.api)} at ${api.boards} boards (requests ${x(api.requests)})`,
                      `within ${API_TOLERANCE * 100} %`,
                      verdict(!!rack.goals.apiEqual),
                  ]),
              ]
            : []),
        ...(rss && cpu
            ? [
                  row([
                      "7. the rack: per-board VM RSS and CPU / one board's (worst N)",
                      `RSS ${x(rss.rss)} at ${rss.boards}, CPU ${x(cpu.cpu)} at ${cpu.boards}`,
                      `within ${HOST_TOLERANCE * 100} %`,
                      verdict(!!rack.goals.hostLinear),
                  ]),
              ]
            : []),
        ...(failed ? [row([`7. the rack of ${failed.boards} boards`, `**failed**: ${failed.failed!.replace(/\|/g, "\\|")}`, "", ""])] : []),
    ]
}

/** What limits N on this machine, from the measured racks. */
export function rackLimits(rack: Rack): string {
    const ok = rack.samples.filter(s => !s.failed)
    const last = ok[ok.length - 1]
    if (!last) return "No rack was measured."
    const failed = rack.samples.find(s => s.failed)
    const l = rack.limits
    const parts = [
        `At ${last.boards} board(s) the machine (${rack.cores} cores, ${(rack.totalMemBytes / 2 ** 30).toFixed(0)} GB) was ` +
            `${last.machineBusyPct.toFixed(0)} % busy in the steady window and the VMs held ${MB(last.vms.rss)} ` +
            `(${((100 * last.vms.rss) / rack.totalMemBytes).toFixed(1)} % of its memory); ` +
            (last.bootBusyPct === undefined ? "" : `while its boards booted it was ${last.bootBusyPct.toFixed(0)} % busy, and `) +
            `its last board's addBoard took ${sec(last.bootMs[last.bootMs.length - 1])} against ${sec(ok[0].bootMs[0])} for the first rack's first.`,
    ]
    if (l.cpuBoards !== undefined)
        parts.push(
            `A line fitted through the machine's busy share against N reaches 100 % of ${rack.cores} cores at about ${l.cpuBoards.toFixed(0)} boards` +
                ` (steady state at STATUS_SECS=${rack.statusSecs}; booting costs more).`
        )
    if (l.memBoards !== undefined) parts.push(`Memory would last for about ${l.memBoards.toFixed(0)} boards at the VMs' measured RSS per board (devtools and this process aside).`)
    if (l.bootSecondsPerBoard !== undefined)
        parts.push(`Boards boot one after another (deploys never overlap), so all nodes are Ready about ${l.bootSecondsPerBoard.toFixed(1)} s later per board added.`)
    if (failed) parts.push(`The rack of ${failed.boards} boards failed: ${failed.failed}; larger racks were not tried.`)
    return parts.join(" ")
}

/** The racks a plan boots: "racks of 1, 2, 4 boards" or "a rack of 2 boards". */
const racksOf = (plan: Plan) => (plan.rack.boards.length > 1 ? `racks of ${plan.rack.boards.join(", ")} boards` : `a rack of ${plan.rack.boards[0]} boards`)

/** How the one-board row was measured when it is not a rack of its own. */
function aloneSection(rack: Rack, plan: Plan): string[] {
    if (plan.rack.oneBoard !== "first board alone") return []
    const n = plan.rack.boards[0]
    const of = rack.samples.find(s => s.boards === n && !s.failed)
    // whether the next board's boot overlapped the first's, which a rack of 1 would not have had
    const readyBefore = of ? of.bootMs[0] - of.readyEachMs[0] : undefined
    const overlap =
        readyBefore === undefined
            ? ""
            : readyBefore >= 0
              ? ` (it was Ready ${sec(readyBefore)} before the second board's addBoard began, so it booted as a rack of 1 would)`
              : ` (it was Ready ${sec(-readyBefore)} after the second board's addBoard began: that boot overlapped its own)`
    return [
        "",
        `No rack of 1 was booted: the one-board row is the rack of ${n}'s first board measured alone. Once that rack's window was over, its ` +
            `other boards were powered off (their VM processes killed; their platform services, idle, still served by this process) and a ` +
            `second window of ${plan.rack.windowSeconds} s measured the first board by itself on the same host, right away. Its addBoard and ` +
            `its Ready are that board's in the rack of ${n}${overlap}; the machine's busy share while it booted is not measured apart from ` +
            `its rack's ("-"), devtools' RSS may still hold what the other boards left, and its "took" is its own window, within the rack of ${n}'s.`,
    ]
}

export function rackSection(rack: Rack, plan: Plan): string[] {
    const ok = rack.samples.filter(s => !s.failed)
    const one = ok.find(s => s.boards === 1)
    const ratio = (s: RackSample) => rack.ratios.find(r => r.boards === s.boards)
    const racks = racksOf(plan)
    return [
        "## 7. The rack: N boards on one host",
        "",
        "![the rack: cost against boards](rack.svg)",
        "",
        `${racks[0].toUpperCase()}${racks.slice(1)}${plan.rack.boards.length > 1 ? ", one after another, each" : ""} on its own SimulatorHost (one devtools, one Jacdac bus; ` +
            "every board a `devs vm` process with its own platform service, as `npm start -- --boards N` runs them), against the same emulator. " +
            `The firmware as built with RENEW_SECS=${rack.renewSecs}${rack.renewSecs === REAL.renewSecs ? "" : ` (shortened from ${REAL.renewSecs} s)`}, ` +
            `LEASE_SECS=40, POD_SECS unset (the renewal period) and STATUS_SECS=${rack.statusSecs} ` +
            `(shortened from ${REAL.statusSecs} s, as in the wire-cost window; the status fiber samples once a renewal period, so every sample posts: ` +
                `one status post every ${rack.renewSecs} s); no pods are bound. ` +
            "Boards boot one after another as npm start starts them; \"all Ready\" runs from the first addBoard call to the last node's Ready=True " +
            "in the emulator. Once every board has renewed its lease once, a steady window of " +
            `${plan.rack.windowSeconds} s (a whole number of renewal periods): CPU seconds (utime + stime from /proc) of the VM processes, of devtools ` +
            "and of this process (which runs the emulator, the bus and the platform services), RSS (VmRSS) sampled every 2 s and averaged, the " +
            "machine's busy share from /proc/stat; each node's requests completed in the window from the emulator's log, attributed by the node's " +
            "name in the path (its Node, its Lease, the fieldSelector of its pod listing), bytes on the TCP socket with TLS. " +
            `Goals, printed and never asserted: per-board API load within ${API_TOLERANCE * 100} % of one board's (no cross-talk), per-board VM RSS ` +
            `and CPU within ${HOST_TOLERANCE * 100} % of one board's (host cost linear in N). Every board and the host are stopped after each rack.`,
        ...aloneSection(rack, plan),
        "",
        row(["boards", "all Ready", "addBoard, first / last", "machine busy booting", "VM RSS / board", "VM CPU / board", "devtools RSS", "devtools CPU", "this process CPU", "machine busy", "left behind", "took"]),
        row(["---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:"]),
        ...rack.samples.map(s =>
            s.failed
                ? row([s.boards, `**failed**: ${s.failed.replace(/\|/g, "\\|")}`, "", "", "", "", "", "", "", "", s.leftover, `${s.tookSeconds.toFixed(0)} s`])
                : row([
                      s.boards,
                      sec(s.readyMs!),
                      `${sec(s.bootMs[0])} / ${sec(s.bootMs[s.bootMs.length - 1])}`,
                      s.bootBusyPct === undefined ? "-" : pct(s.bootBusyPct),
                      MB(s.vms.rss / s.boards),
                      cpuPct(s.vms.cpuSeconds / s.boards, s.windowSeconds),
                      MB(s.devtools.rss),
                      cpuPct(s.devtools.cpuSeconds, s.windowSeconds),
                      cpuPct(s.bench.cpuSeconds, s.windowSeconds),
                      pct(s.machineBusyPct),
                      s.leftover,
                      `${s.tookSeconds.toFixed(0)} s`,
                  ])
        ),
        "",
        "CPU is in % of one core; machine busy in % of all cores (steady window, or from the first addBoard call to the last Ready).",
        "",
        row(["boards", "requests / min per board (min-max)", "B/s per board (min-max)", "vs one board (bytes, requests)", "renewals, status posts, pod listings per board", "unattributed requests", "longest renewal gap"]),
        row(["---:", "---:", "---:", "---:", "---:", "---:", "---:"]),
        ...ok.map(s => {
            const r = ratio(s)
            return row([
                s.boards,
                spread(requestsPerMin(s), 1),
                spread(bytesPerSec(s), 0),
                r && one ? `${x(r.api)}, ${x(r.requests)}` : "",
                `${avg(s.nodes.map(l => l.renewals)).toFixed(1)}, ${avg(s.nodes.map(l => l.statusPosts)).toFixed(1)}, ${avg(s.nodes.map(l => l.podListings)).toFixed(1)}` +
                    (s.nodes.some(l => l.other) ? ` (+${avg(s.nodes.map(l => l.other)).toFixed(1)} other)` : ""),
                s.unattributed,
                s.maxRenewalGapMs === undefined ? "-" : sec(s.maxRenewalGapMs),
            ])
        }),
        "",
        `**What limits N here:** ${rackLimits(rack)}`,
    ]
}

const met = (ok: boolean) => (ok ? "met" : "MISS")

/** The cheapest peer by `f`, ours excluded. */
function cheapest(p: Peers, f: (c: Peers["clients"][number]["cost"]) => number) {
    const peers = p.clients.filter(c => c.cost.key !== "ours").map(c => c.cost)
    return peers.reduce((a, b) => (f(b) < f(a) ? b : a))
}

/** Goals against the floor and the seed, on the real control plane. */
export const FLOOR_GOALS = { vsFloor: 1.1, vsSeed: 0.25 }

/** One renewal's TCP bytes, both ways. */
const renewalBytes = (l: Floor["floor"]) => l.m.up + l.m.down

/** ours / floor per renewal, the floor's lease stream in seed units, ours / seed per node-hour (heartbeats). */
function floorFigures(p: Peers) {
    const f = p.floor!
    const ours = p.clients.find(c => c.cost.key === "ours")!.cost
    const seed = p.clients.find(c => c.cost.key === "seed")?.cost
    const floorLeasePerHour = renewalBytes(f.floor) * REAL.renewalsPerHour
    const seedPerHour = seed ? heartbeatsPerHour(seed) : NaN
    return {
        oursVsFloor: renewalBytes(f.ours) / renewalBytes(f.floor),
        floorLeasePerHour,
        floorInSeed: floorLeasePerHour / seedPerHour,
        oursVsSeed: heartbeatsPerHour(ours) / seedPerHour,
    }
}

function peersSummary(p: Peers): string[] {
    if (p.skipped || !p.clients.length) return [row(["8. peers on a real control plane", `not measured: ${p.skipped}`, "", ""])]
    const ours = p.clients.find(c => c.cost.key === "ours")!.cost
    const hb = cheapest(p, heartbeatsPerHour)
    const all = cheapest(p, c => perHour(c).total)
    const floorRows = p.floor
        ? (() => {
              const ff = floorFigures(p)
              return [
                  row([
                      "8. real control plane: one renewal, ours / the floor (TCP bytes both ways)",
                      `${renewalBytes(p.floor.ours)} B / ${renewalBytes(p.floor.floor)} B = ${x(ff.oursVsFloor)}`,
                      `<= ${FLOOR_GOALS.vsFloor}x`,
                      met(ff.oursVsFloor <= FLOOR_GOALS.vsFloor),
                  ]),
                  row([
                      "8. real control plane: heartbeats per node-hour, ours / the seed's pattern (the floor's renewals alone: " + x(ff.floorInSeed) + ")",
                      x(ff.oursVsSeed),
                      `<= ${FLOOR_GOALS.vsSeed}x`,
                      met(ff.oursVsSeed <= FLOOR_GOALS.vsSeed),
                  ]),
              ]
          })()
        : []
    return [
        ...floorRows,
        row([
            "8. real control plane: heartbeats (lease + status) per node-hour, ours / cheapest peer",
            `${KB(heartbeatsPerHour(ours))} / ${KB(heartbeatsPerHour(hb))} (${hb.name})`,
            "ours below every peer",
            met(p.goals.heartbeats),
        ]),
        row([
            "8. real control plane: everything per node-hour, ours / cheapest peer",
            `${KB(perHour(ours).total)} / ${KB(perHour(all).total)} (${all.name})`,
            "ours below every peer",
            met(p.goals.total),
        ]),
    ]
}

/** The floor of one renewal, each lever measured alone, and where ours and the seed stand against it. */
function floorSection(p: Peers): string[] {
    const f = p.floor!
    const ff = floorFigures(p)
    return [
        "The floor of one renewal (bench/floor.ts, `tsx bench/floor.ts` alone): on the same server, the smallest renewal request it " +
            "accepts plus the smallest reply it can be asked for, in TCP bytes over a kept-alive TLS connection. Each lever is applied alone " +
            "to the renewal the firmware sent before this issue (JSON Accept, ?fieldManager), on a Lease of its own history (created by the " +
            "same request head, renewed twice, measured on the third: a request under another manager name adds a managedFields entry to every " +
            "later reply); the floor applies every accepted lever that made the request smaller, with the Accept whose request and reply cost least.",
        "",
        ...floorTable(f),
        "",
        `Ours / floor: ${x(ff.oursVsFloor)} (goal <= ${FLOOR_GOALS.vsFloor}x). The floor's renewals alone, ${REAL.renewalsPerHour} an hour, are ` +
            `${KB(ff.floorLeasePerHour)} per node-hour: ${x(ff.floorInSeed)} of the seed's pattern's heartbeats on this server, so no client ` +
            `renewing a Lease every ${REAL.renewSecs} s over HTTP/1.1 can go below that in seed units. Ours (heartbeats) / seed: ${x(ff.oursVsSeed)} ` +
            `(goal <= ${FLOOR_GOALS.vsSeed}x).`,
    ]
}

/** Section 8: the peers on a real control plane, and the emulator's error. */
export function peersSection(p: Peers, plan: Plan): string[] {
    const lines = ["## 8. Peers side by side on a real control plane", ""]
    if (p.skipped || !p.clients.length) return [...lines, `Not measured: ${p.skipped ?? "no client ran"}.`]
    const pp = plan.peers!
    const built = (s?: number) => (s === undefined ? "from the cache" : `built in ${s.toFixed(0)} s`)
    lines.push(
        "![bytes per node-hour, real control plane](peers.svg)",
        "",
        `A real kube-apiserver ${p.k8sVersion} (tools/cluster: kine on SQLite, controller-manager, scheduler), with an audit log at level ` +
            "Metadata. Each client ran by itself, one after another, through its own port of a TCP-counting proxy (bench/tcp-proxy.ts): TLS " +
            "passes through untouched, so a port's bytes (TCP payload, TLS records and handshakes included, both directions) and connections " +
            "(each a TLS handshake) are that client's. Requests per hour are the server's own count: audit events of the client's user " +
            "received in the window. A stream's bytes are the chunks that crossed the proxy while one of its requests was in flight " +
            "(from its arrival to its reply, with 100 ms of slack, so the echo of a write on the client's own watch counts with the write); " +
            "lease renewals are requests on its Lease, status posts those on its Node, pod listings ours on pods; everything else (watch " +
            "events, keep-alive pings, relists, events, new connections) is the last stream. Heartbeats = lease + status. " +
            `Ours, kwok and virtual-kubelet: after boot and a settle of ${pp.settleSeconds} s, a window of ${pp.windowSeconds} s; the replays: ` +
            "their renewals and status cycles back to back as in section 1.",
        "",
        `Peers built from Go modules into ~/.cache/picokubelet/peers/: kwok ${p.builds!.kwok} (${built(p.builds!.buildSeconds.kwok)}), ` +
            `virtual-kubelet ${p.builds!.virtualKubelet} as a library under tools/peers/virtual-kubelet (${built(p.builds!.buildSeconds.virtualKubelet)}).`,
        "",
        row(["client", "lease /h", "status /h", "**heartbeats /h**", "pod listings /h", "watches, reconnects, other /h", "total /h", "requests /h", "TLS handshakes /h"]),
        row(["---", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:"])
    )
    const streamKb = (c: Peers["clients"][number]["cost"], label: string) => {
        const s = c.streams.find(s => s.label === label)
        return s ? KB(streamPerHour(s).total) : "-"
    }
    for (const { cost } of p.clients) {
        const h = perHour(cost)
        const other = cost.streams.filter(s => !HEARTBEATS.includes(s.label) && s.label !== "pod listings").reduce((n, s) => n + streamPerHour(s).total, 0)
        const name = cost.key === "ours" ? `**${cost.name}**` : cost.name
        lines.push(
            row([
                name,
                streamKb(cost, "lease renewals"),
                streamKb(cost, "status posts"),
                `**${KB(heartbeatsPerHour(cost))}**`,
                streamKb(cost, "pod listings"),
                KB(other),
                KB(h.total),
                h.requests.toFixed(0),
                h.handshakes.toFixed(0),
            ])
        )
    }
    lines.push(
        "",
        `Goal, printed and never asserted: ours below every peer per node-hour. Heartbeats: ${met(p.goals.heartbeats)}; everything: ${met(p.goals.total)}.`,
        "",
        "The emulator's error: the same clients against tools/apiserver (section 1's figures) and here, real / emulator:",
        "",
        row(["client", "heartbeats /h, emulator", "real / emulator", "total /h, emulator", "real / emulator", "requests /h, emulator / real", "handshakes /h, emulator / real"]),
        row(["---", "---:", "---:", "---:", "---:", "---:", "---:"])
    )
    for (const emu of p.emulator) {
        const real = p.clients.find(c => c.cost.key === emu.key)?.cost
        if (!real) continue
        const [e, rl] = [perHour(emu), perHour(real)]
        lines.push(
            row([
                real.name,
                KB(heartbeatsPerHour(emu)),
                x(heartbeatsPerHour(real) / heartbeatsPerHour(emu)),
                KB(e.total),
                x(rl.total / e.total),
                `${e.requests.toFixed(0)} / ${rl.requests.toFixed(0)}`,
                `${e.handshakes.toFixed(0)} / ${rl.handshakes.toFixed(0)}`,
            ])
        )
    }
    if (p.floor) lines.push("", ...floorSection(p))
    lines.push("", "Each client:", "")
    for (const c of p.clients) {
        const reqs = Object.entries(c.requests)
            .sort((a, b) => b[1] - a[1])
            .map(([k, n]) => `${k} ${n}`)
            .join(", ")
        const window = c.windowSeconds ? `window ${c.windowSeconds.toFixed(0)} s; ` : ""
        lines.push(`- **${c.cost.name}** (user \`${c.user}\`): ${c.cost.pattern}. ${window}scaled: ${c.scaling}. Requests measured: ${reqs || "none"}.`)
    }
    return lines
}

export function renderReport(r: Results): string {
    const quick = r.plan.name === "quick"
    const total = r.steps.reduce((n, s) => n + s.seconds, 0)
    const lines = [
        "# picokubelet benchmarks",
        "",
        `${quick ? "**Quick run** (CI): " : "Full run: "}${r.startedAt.toISOString()}, commit ${r.commit}, ${r.machine}, ` +
            `${total.toFixed(0)} s in all. Every figure below was measured in this one run against one API server emulator ` +
            `(tools/apiserver, ${r.emulatorUrl}); the transport benchmark uses its own HTTPS lab server.`,
        "",
        `Reproduce this run: \`${r.command}\` (the other one: \`${r.plan.name === "quick" ? "npm run bench" : "npm run bench -- --quick"}\`). ` +
            "Figures are printed, never asserted: a missed goal reads MISS and the run still succeeds.",
        "",
    ]
    if (quick)
        lines.push(
            `The quick run shortens everything: wire windows of ${r.plan.wire.renewals} renewals and ${r.plan.wire.statusPosts} status cycles, ` +
                `the heap's side of the goal with shorter cycles (one trial with MAX_PODS pods at the goal; more only when it fails; none with twice MAX_PODS), ` +
                `${r.plan.churn.intervals} renewal intervals per churn phase at RENEW_SECS=${r.plan.churn.periodSecs}, ` +
                `${r.plan.timing.sessions} timing session(s) (medians of ${r.plan.timing.sessions}) at RENEW_SECS=${r.plan.timing.renewSecs} ` +
                `with a ${sec(r.plan.timing.outageMs)} outage (shorter than the 40 s grace period), ` +
                racksOf(r.plan) +
                (r.plan.rack.oneBoard === "first board alone" ? " and its first board alone (the one-board baseline, no rack of 1 booted)" : "") +
                ` at RENEW_SECS=${r.plan.rack.renewSecs} with ${r.plan.rack.windowSeconds} s windows. ` +
                `Renewal periods shorter than the firmware's ${REAL.renewSecs} s change what the recovery, the intervals and the rack's API load ` +
                "read: compare them with a full run's only at the same period. Run `npm run bench` for the real figures.",
            ""
        )
    lines.push(
        ...summary(r),
        "",
        ...wireSection(r),
        "",
        "## 2. TLS handshakes",
        "",
        `picokubelet opened ${r.wire.clients[0].streams.reduce((n, s) => n + s.connections, 0)} connection(s) during its steady-state ` +
            "window (the first, at boot, is not in it), which scales to the handshakes per hour in the summary.",
        "",
        ...heapSection(r),
        "",
        ...timingSection(r),
        "",
        ...bytecodeSection(r),
        "",
        ...churnSection(r),
        "",
        ...rackSection(r.rack, r.plan),
        "",
        ...(r.peers ? [...peersSection(r.peers, r.plan), ""] : []),
        "## Transport benchmark (bench/transport.ts)",
        "",
        "```",
        ...r.transport.lines,
        "```",
        "",
        "## Run",
        "",
        row(["step", "took"]),
        row(["---", "---:"]),
        ...r.steps.map(s => row([s.name, `${s.seconds.toFixed(1)} s`])),
        "",
        `Before the run began it waited ${r.lockWaitSeconds.toFixed(0)} s for the machine's simulator turn (another session holding it); ` +
            "the run then held it throughout, so no other simulator ran while it measured.",
        ""
    )
    return lines.join("\n")
}
