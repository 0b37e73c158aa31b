import { HEAP_BYTES } from "../platform/snapshot"
import { formatTime } from "../time/rfc3339"

// Node conditions as the kubelet reports them: one row per type, in the order
// they are posted. Each row says when the condition is True (README's table
// is this column), its reasons and its message. lastHeartbeatTime moves on
// every post; lastTransitionTime only when `status` flips: conflating the two
// makes a node look flappy in every monitoring tool.

export type ConditionStatus = "True" | "False" | "Unknown"

export interface ConditionValue {
    type: string
    status: ConditionStatus
    reason: string
    message: string
}

/** Real state the conditions are derived from, sampled by the status fiber. */
export interface NodeSample {
    /** Free bytes of the DeviceScript heap; -1 while no platform service reported it. */
    heapFree: number
    /** The heap figure is set by the simulated platform, not measured. */
    heapSimulated: boolean
    /** MemoryPressure threshold (MEM_LOW_BYTES). */
    memLowBytes: number
    uptimeMs: number
    /** Successful lease renewals since boot. */
    renewals: number
    /** Connections to the API server opened since boot, minus the first. */
    reconnects: number
    /** Uptime at the latest reconnect, or -1. */
    lastReconnectMs: number
    /** Times the network moved between transports (ethernet, wifi). */
    transportChanges: number
    /** Largest |server Date - local wall estimate| seen at re-anchoring, ms. */
    maxAbsSkewMs: number
}

/** Vibes are good while at least half the heap is free. */
export const GOOD_VIBES_FREE_PERCENT = 50
/** Caffeinated for the first hour of uptime, then the coffee wears off. */
export const CAFFEINE_MS = 3600 * 1000
/** A day of renewals at the default cadence: 8640 leases renewed for nothing. */
export const EXISTENTIAL_RENEWALS = 8640
/** Peckish for a quarter of an hour after a reconnect: it ate a TLS handshake. */
export const PECKISH_MS = 15 * 60 * 1000
/** A clock that jumped more than this when re-anchored is haunted. */
export const HAUNTED_SKEW_MS = 5000

/** Whether a condition holds, and its message; undefined when the sample cannot tell (Unknown). */
export type Verdict = [holds: boolean, message: string]

export interface ConditionRow {
    type: string
    /** The reason when True; none for a condition that is never True. */
    reasonTrue: string
    /** The reason when False; none for a condition that is never False. */
    reasonFalse: string
    judge(s: NodeSample): Verdict
}

/** A row: its type, its reasons when True and when False, its judge. */
function condition(type: string, reasonTrue: string, reasonFalse: string, judge: (s: NodeSample) => Verdict): ConditionRow {
    return { type, reasonTrue, reasonFalse, judge }
}

/** The judge of a row whose status and message never change: one closure for all such rows. */
function fixed(holds: boolean, message: string) {
    return (): Verdict => [holds, message]
}

/**
 * The rows, in posting order. Built per call rather than held: the status
 * fiber needs them for a moment every period, and the heap is 64 KB. Each
 * row's "True when" comment is README's column (test/integration/readme.test.ts
 * reads it from here); as a comment it costs the firmware nothing.
 */
export function conditionRows(): ConditionRow[] {
    return [
        // True when: the kubelet is posting
        condition("Ready", "KubeletReady", undefined, fixed(true, "picokubelet is posting ready status")),
        // True when: free DeviceScript heap < `MEM_LOW_BYTES` (Unknown until the platform service reports)
        condition("MemoryPressure", "KubeletHasInsufficientMemory", "KubeletHasSufficientMemory", s => {
            if (s.heapFree < 0) return undefined
            const low = s.heapFree < s.memLowBytes
            const figure = `${s.heapFree} bytes of heap free${s.heapSimulated ? " (simulated)" : ""}`
            return [low, low ? `${figure}, below ${s.memLowBytes}` : figure]
        }),
        // True when: never: "there is no disk"
        condition("DiskPressure", undefined, "KubeletHasNoDiskPressure", fixed(false, "there is no disk")),
        // True when: never: "PIDs are also lies"
        condition("PIDPressure", undefined, "KubeletHasSufficientPID", fixed(false, "PIDs are also lies")),
        // True when: at least 50 % of the heap is free
        condition("Vibes", "GoodVibes", "BadVibes", s => {
            if (s.heapFree < 0) return undefined
            const percent = Math.floor((s.heapFree * 100) / HEAP_BYTES)
            const good = percent >= GOOD_VIBES_FREE_PERCENT
            return [good, `${good ? "" : "only "}${percent}% of the heap is free${s.heapSimulated ? " (simulated)" : ""}`]
        }),
        // True when: up for less than an hour
        condition("Caffeinated", "FreshlyBooted", "CaffeineWoreOff", s =>
            s.uptimeMs < CAFFEINE_MS
                ? [true, "up for less than an hour"]
                : [false, `up for ${Math.floor(s.uptimeMs / 3600000)} h`]
        ),
        // True when: 8640 lease renewals or more (a day at 10 s)
        condition("Existential", "WhyAmIRenewing", "KnowsItsPurpose", s => {
            const bored = s.renewals >= EXISTENTIAL_RENEWALS
            return [bored, `renewed its lease ${s.renewals} times${bored ? " and runs nothing" : ""}`]
        }),
        // True when: the connection was re-opened in the last 15 minutes
        condition("Peckish", "AteAHandshake", "NotHungry", s =>
            s.lastReconnectMs >= 0 && s.uptimeMs - s.lastReconnectMs < PECKISH_MS
                ? [
                      true,
                      `reconnected ${s.reconnects} time(s); the last was ${Math.floor((s.uptimeMs - s.lastReconnectMs) / 1000)} s ago`,
                  ]
                : [false, `reconnected ${s.reconnects} time(s), none in the last 15 min`]
        ),
        // True when: the transport changed (Ethernet/Wi-Fi) or the clock jumped > 5 s at a re-anchor
        condition("Haunted", "SomethingMoved", "NothingMoved", s => {
            const moved = s.transportChanges > 0 || s.maxAbsSkewMs > HAUNTED_SKEW_MS
            const skew = Math.round(s.maxAbsSkewMs / 100) / 10
            return [moved, `${moved ? `transport changed ${s.transportChanges} time(s)` : "transport steady"}; clock skew up to ${skew} s`]
        }),
    ]
}

/** Derives every condition from one sample, in table order; pure, so each rule is testable. */
export function deriveConditions(s: NodeSample): ConditionValue[] {
    return conditionRows().map((row): ConditionValue => {
        const verdict = row.judge(s)
        if (!verdict) return { type: row.type, status: "Unknown", reason: "NoHeapFigures", message: "the platform service has not reported the heap yet" }
        const holds = verdict[0]
        return { type: row.type, status: holds ? "True" : "False", reason: holds ? row.reasonTrue : row.reasonFalse, message: verdict[1] }
    })
}

/**
 * One condition as tracked: its value now, when its status last flipped, and
 * what the last successful post sent (postedStatus undefined: not known to
 * be on the server). Updated in place, field by field, keeping a string
 * that did not change: the tracker lives as long as the kubelet, and a new
 * set of objects every sample would land wherever the heap had a hole at
 * that moment, cutting up the free space the next 1 KB socket read needs.
 */
interface Tracked {
    type: string
    status: ConditionStatus
    reason: string
    message: string
    lastTransitionMs: number
    postedStatus: ConditionStatus
    postedReason: string
    postedMessage: string
}

/** Remembers each condition's status and when it last flipped. */
export class ConditionTracker {
    private tracked: Tracked[] = []

    /**
     * Takes a fresh set of values, in table order as every set is. Returns
     * true when any status flipped (or on the first call): a post is due at once.
     */
    update(values: ConditionValue[], nowMs: number): boolean {
        if (this.tracked.length === 0)
            this.tracked = values.map(
                (v): Tracked => ({
                    type: v.type,
                    status: undefined,
                    reason: undefined,
                    message: undefined,
                    lastTransitionMs: 0,
                    postedStatus: undefined,
                    postedReason: undefined,
                    postedMessage: undefined,
                })
            )
        let flipped = false
        for (let i = 0; i < values.length; i++) {
            const t = this.tracked[i]
            const v = values[i]
            if (t.status !== v.status) {
                t.status = v.status
                t.lastTransitionMs = nowMs
                flipped = true
            }
            // reasons are the image's literals; an equal message keeps its old string
            t.reason = v.reason
            if (t.message !== v.message) t.message = v.message
        }
        return flipped
    }

    status(type: string): ConditionStatus {
        for (const t of this.tracked) if (t.type === type) return t.status
        return undefined
    }

    /** "Ready=True MemoryPressure=False ..." for log lines. */
    describe(): string {
        return this.tracked.map(t => `${t.type}=${t.status}`).join(" ")
    }

    /** The values now are on the server: a post of them succeeded. */
    markPosted() {
        for (const t of this.tracked) {
            t.postedStatus = t.status
            t.postedReason = t.reason
            t.postedMessage = t.message
        }
    }

    /** Every condition was posted and the server still has it: a heartbeat may send only what changed. */
    allPosted(): boolean {
        if (this.tracked.length === 0) return false
        for (const t of this.tracked) if (!t.postedStatus) return false
        return true
    }

    /** What the server cannot be sure of any more (a failed post, a new registration): the next post is whole. */
    forgetPosted() {
        for (const t of this.tracked) t.postedStatus = undefined
    }

    /**
     * Each condition's type and heartbeat `nowMs`, with the fields that
     * changed since the last post (allPosted() must hold).
     */
    changedJson(nowMs: number): any[] {
        const heartbeat = formatTime(nowMs)
        return this.tracked.map(t => {
            const c: any = { type: t.type, lastHeartbeatTime: heartbeat }
            if (t.status !== t.postedStatus) {
                c.status = t.status
                c.lastTransitionTime = formatTime(t.lastTransitionMs)
            }
            if (t.reason !== t.postedReason) c.reason = t.reason
            if (t.message !== t.postedMessage) c.message = t.message
            return c
        })
    }

    /** The conditions as the API wants them, with heartbeat `nowMs`. */
    toJson(nowMs: number): any[] {
        const heartbeat = formatTime(nowMs)
        return this.tracked.map(t => ({
            type: t.type,
            status: t.status,
            lastHeartbeatTime: heartbeat,
            lastTransitionTime: formatTime(t.lastTransitionMs),
            reason: t.reason,
            message: t.message,
        }))
    }
}
