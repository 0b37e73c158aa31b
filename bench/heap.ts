// Heap headroom: the largest ballast the firmware can hold from boot on and
// still complete a full cycle (boot, register, the planned renewals, status
// posts answered with >= 5 KB chunked Node bodies) without running out of
// memory, found by bisection in the simulator's 64 KB heap. The emulator
// sends bodies over 2048 B chunked, as Go's net/http does, so these are.
import type { ApiServer } from "../tools/apiserver"
import { MERGE_PATCH } from "../src/k8s/api"
import { nodePath } from "../src/k8s/paths"
import { Firmware, FirmwareFailure } from "./firmware"
import { HEAP_KB, Plan } from "./plan"
import { ReplayClient } from "./replay-client"

const ENTRY = "test/integration/firmware/ballast.ts"
const GOAL_KB = 24
/** The status replies of a cycle must be at least this big: a Node as a real cluster returns it. */
export const NODE_REPLY_BYTES = 5 * 1024
const PADDING_KEY = "bench.picokubelet.dev/padding"

export interface Trial {
    kb: number
    ok: boolean
    /** Why it failed, or what the cycle did. */
    detail: string
    seconds: number
}

export interface HeapHeadroom {
    /** Largest ballast that passed (0 when none above 0 was tried and passed). */
    passedKb: number
    /** Smallest ballast that failed. */
    failedKb: number
    trials: Trial[]
    goalKb: number
    goal: boolean
    /** HTTP sizes of the status replies in passing cycles (headers and chunk framing included); none if none passed. */
    statusReplyBytes?: { min: number; max: number }
}

/**
 * Grows the emulator's Node with an annotation until it serialises to at
 * least NODE_REPLY_BYTES, as a node with a real cluster's labels would.
 */
async function padNode(api: ApiServer, node: string) {
    const admin = new ReplayClient(api, { token: api.tokens.admin, userAgent: "kubectl/v1.31.1", keepAlive: false })
    const size = Buffer.byteLength(JSON.stringify(await admin.call("GET", nodePath(node))))
    // the admin's own managedFields entry grows it a little more
    const value = "x".repeat(Math.max(0, NODE_REPLY_BYTES - size))
    await admin.call("PATCH", nodePath(node), JSON.stringify({ metadata: { annotations: { [PADDING_KEY]: value } } }), MERGE_PATCH)
}

async function trial(api: ApiServer, plan: Plan, kb: number, replySizes: number[]): Promise<Trial> {
    const started = Date.now()
    const node = `esp-heap-${kb}`
    const { renewals, statusPosts, statusSecs } = plan.heap
    const fw = await Firmware.start(api, {
        node,
        entry: ENTRY,
        settings: { BALLAST_KB: kb, RENEW_SECS: 1, STATUS_SECS: statusSecs },
    })
    const seconds = () => Math.round((Date.now() - started) / 100) / 10
    try {
        const cycleMs = (renewals + statusPosts * statusSecs) * 1000 + 60000
        await fw.guard(
            "in the cycle",
            (async () => {
                await fw.waitFor(new RegExp(`^ballast: ${kb} KB held`), 30000)
                const registered = await fw.waitFor(/^kubelet: node \S+ registered/, 30000)
                await padNode(api, node)
                const padded = fw.lineCount
                await Promise.all([
                    fw.waitFor(new RegExp(`^lease: renewed #${renewals} `), cycleMs, registered.index),
                    fw.waitForNth(/^status: posted \(report period\)/, statusPosts, cycleMs, padded),
                ])
            })()
        )
        const replies = api.log.entries
            .filter(e => e.method === "PATCH" && e.path.includes(`/nodes/${node}/status`) && e.status === 200)
            .slice(1) // the initial post may have come before the padding
            .map(e => e.httpBytesOut)
        replySizes.push(...replies)
        return { kb, ok: true, detail: `${renewals} renewals, ${replies.length} status posts answered`, seconds: seconds() }
    } catch (e) {
        // the firmware failing is the answer; anything else is the bench's own error
        if (!(e instanceof FirmwareFailure)) throw e
        return { kb, ok: false, detail: e.message.split("\n")[0], seconds: seconds() }
    } finally {
        await fw.stop()
    }
}

/**
 * Bisection over [0, HEAP_KB]: 0 is taken as passing (the wire-cost run
 * carried no ballast), the whole heap as failing. The first probe is the goal,
 * so even a coarse search says which side of it the firmware is on.
 */
export async function benchHeap(api: ApiServer, plan: Plan): Promise<HeapHeadroom> {
    let lo = 0
    let hi = HEAP_KB
    const trials: Trial[] = []
    const replySizes: number[] = []
    let probe = GOAL_KB
    while (hi - lo > plan.heap.resolutionKb) {
        const t = await trial(api, plan, probe, replySizes)
        trials.push(t)
        console.error(`bench: heap trial ${t.kb} KB: ${t.ok ? "completed" : "FAILED"} (${t.detail}) in ${t.seconds} s`)
        if (t.ok) lo = probe
        else hi = probe
        probe = Math.floor((lo + hi) / 2)
    }
    const statusReplyBytes = replySizes.length ? { min: Math.min(...replySizes), max: Math.max(...replySizes) } : undefined
    if (statusReplyBytes && statusReplyBytes.min < NODE_REPLY_BYTES)
        throw new Error(`status replies of ${statusReplyBytes.min} B: the cycle was meant to carry ${NODE_REPLY_BYTES} B Nodes`)
    return { passedKb: lo, failedKb: hi, trials, goalKb: GOAL_KB, goal: lo >= GOAL_KB, statusReplyBytes }
}
