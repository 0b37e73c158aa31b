// One node's update as pure steps: plan() decides from the Node before it is
// touched, observe() decides from each later read of it what happened. No I/O
// and no clock of their own: the loop (controller.ts) brings both.
import type { DigestReference } from "./reference"
import { bootID, desiredFirmware, firmwareStatus, isReady, nodeName, osImage, refusal, reportedDigest, type NodeLike } from "./node"

/** What is remembered about a node when its annotation is set. */
export interface Update {
    node: string
    reference: DigestReference
    /** The annotation to put back if the update fails; undefined: there was none. */
    previousAnnotation: string | undefined
    previousBootID: string
    previousStatus: string | undefined
    /** A node that already reports the digest (but was not Ready) needs no new boot, only Ready. */
    needsReboot: boolean
    /** When the annotation was set, by the loop's clock. */
    startedAt: number
}

export type Plan = { kind: "skip"; annotate: boolean } | { kind: "update"; update: Update }

export function plan(node: NodeLike, reference: DigestReference, now: number): Plan {
    const runsIt = reportedDigest(node) === reference.digest
    // a node already there keeps running; an annotation that says otherwise would send it elsewhere
    if (runsIt && isReady(node)) return { kind: "skip", annotate: desiredFirmware(node) !== reference.text }
    return {
        kind: "update",
        update: {
            node: nodeName(node),
            reference,
            previousAnnotation: desiredFirmware(node),
            previousBootID: bootID(node),
            previousStatus: firmwareStatus(node),
            needsReboot: !runsIt,
            startedAt: now,
        },
    }
}

/** What has been seen of the node since its annotation was set. */
export interface Progress {
    update: Update
    lastStatus: string | undefined
    lastBootID: string
    /**
     * The status is about this reference: the annotation named it already, or
     * the node reacted since (status or boot changed). A failed or rolled back
     * status left from another update must not be taken for this one's.
     */
    reacted: boolean
}

export type Verdict = { kind: "waiting" } | { kind: "done"; version: string } | { kind: "failed"; reason: string }

export const startProgress = (update: Update): Progress => ({
    update,
    lastStatus: update.previousStatus,
    lastBootID: update.previousBootID,
    reacted: update.previousAnnotation === update.reference.text,
})

export function observe(progress: Progress, node: NodeLike): { progress: Progress; verdict: Verdict; lines: string[] } {
    const { update } = progress
    const status = firmwareStatus(node)
    const boot = bootID(node)
    const lines: string[] = []
    if (boot !== progress.lastBootID) lines.push(`${update.node}: booted (bootID ${boot})`)
    if (status !== progress.lastStatus && status !== undefined) lines.push(`${update.node}: ${status}`)
    const next: Progress = {
        update,
        lastStatus: status,
        lastBootID: boot,
        reacted: progress.reacted || status !== update.previousStatus || boot !== update.previousBootID,
    }
    const newBoot = !update.needsReboot || boot !== update.previousBootID
    // "running" is the firmware's word for a program past its trial (or one that needed none)
    if (reportedDigest(node) === update.reference.digest && newBoot && status === "running" && isReady(node))
        return { progress: next, verdict: { kind: "done", version: osImage(node) }, lines }
    const refused = refusal(status)
    if (refused && next.reacted) return { progress: next, verdict: { kind: "failed", reason: refused }, lines }
    return { progress: next, verdict: { kind: "waiting" }, lines }
}

/** The reason given when the time limit passes, with the last status seen. */
export function timedOut(progress: Progress, timeoutMs: number): string {
    return `timed out after ${Math.round(timeoutMs / 1000)} s (firmware-status: ${progress.lastStatus ?? "none"})`
}
