import { formatTime } from "../time/rfc3339"

// Node conditions as the kubelet reports them. lastHeartbeatTime moves on
// every post; lastTransitionTime only when `status` flips: conflating the two
// makes a node look flappy in every monitoring tool.

export type ConditionStatus = "True" | "False" | "Unknown"

export interface ConditionValue {
    status: ConditionStatus
    reason: string
    message: string
}

/** Real state the conditions are derived from, sampled by the status fiber. */
export interface NodeSample {
    /** Free bytes of the DeviceScript heap; -1 while no platform service reported it. */
    heapFree: number
    /** Size of the DeviceScript heap. */
    heapSize: number
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

export const CONDITION_TYPES = [
    "Ready",
    "MemoryPressure",
    "DiskPressure",
    "PIDPressure",
    "Vibes",
    "Caffeinated",
    "Existential",
    "Peckish",
    "Haunted",
]

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

function c(status: ConditionStatus, reason: string, message: string): ConditionValue {
    return { status, reason, message }
}

/** Derives every condition from one sample; pure, so each rule is testable. */
export function deriveConditions(s: NodeSample): ConditionValue[] {
    const heapKnown = s.heapFree >= 0
    const freePct = Math.floor((s.heapFree * 100) / s.heapSize)
    const noFigures = c("Unknown", "NoHeapFigures", "the platform service has not reported the heap yet")
    const recentlyReconnected = s.lastReconnectMs >= 0 && s.uptimeMs - s.lastReconnectMs < PECKISH_MS
    const skewS = Math.round(s.maxAbsSkewMs / 100) / 10
    return [
        c("True", "KubeletReady", "picokubelet is posting ready status"),
        !heapKnown
            ? noFigures
            : s.heapFree < s.memLowBytes
            ? c("True", "KubeletHasInsufficientMemory", `${s.heapFree} bytes of heap free, below ${s.memLowBytes}`)
            : c("False", "KubeletHasSufficientMemory", `${s.heapFree} bytes of heap free`),
        c("False", "KubeletHasNoDiskPressure", "there is no disk"),
        c("False", "KubeletHasSufficientPID", "PIDs are also lies"),
        !heapKnown
            ? noFigures
            : freePct >= GOOD_VIBES_FREE_PERCENT
            ? c("True", "GoodVibes", `${freePct}% of the heap is free`)
            : c("False", "BadVibes", `only ${freePct}% of the heap is free`),
        s.uptimeMs < CAFFEINE_MS
            ? c("True", "FreshlyBooted", "up for less than an hour")
            : c("False", "CaffeineWoreOff", `up for ${Math.floor(s.uptimeMs / 3600000)} h`),
        s.renewals >= EXISTENTIAL_RENEWALS
            ? c("True", "WhyAmIRenewing", `renewed its lease ${s.renewals} times and runs nothing`)
            : c("False", "KnowsItsPurpose", `renewed its lease ${s.renewals} times`),
        recentlyReconnected
            ? c("True", "AteAHandshake", `reconnected ${s.reconnects} time(s); the last was ${Math.floor((s.uptimeMs - s.lastReconnectMs) / 1000)} s ago`)
            : c("False", "NotHungry", `reconnected ${s.reconnects} time(s), none in the last 15 min`),
        s.transportChanges > 0 || s.maxAbsSkewMs > HAUNTED_SKEW_MS
            ? c("True", "SomethingMoved", `transport changed ${s.transportChanges} time(s); clock skew up to ${skewS} s`)
            : c("False", "NothingMoved", `transport steady; clock skew up to ${skewS} s`),
    ]
}

interface Tracked {
    value: ConditionValue
    lastTransitionMs: number
}

/** Remembers each condition's status and when it last flipped. */
export class ConditionTracker {
    private tracked: Tracked[] = []

    /**
     * Takes a fresh set of values (in CONDITION_TYPES order). Returns true
     * when any status flipped (or on the first call): a post is due at once.
     */
    update(values: ConditionValue[], nowMs: number): boolean {
        const previous = this.tracked
        let flipped = previous.length === 0
        this.tracked = values.map((value, i) => {
            const old = previous[i]
            if (old && old.value.status === value.status) return { value, lastTransitionMs: old.lastTransitionMs }
            flipped = true
            return { value, lastTransitionMs: nowMs }
        })
        return flipped
    }

    status(type: string): ConditionStatus {
        const t = this.tracked[CONDITION_TYPES.indexOf(type)]
        return t ? t.value.status : undefined
    }

    /** The conditions as the API wants them, with heartbeat `nowMs`. */
    toJson(nowMs: number): any[] {
        const heartbeat = formatTime(nowMs)
        return this.tracked.map((t, i) => ({
            type: CONDITION_TYPES[i],
            status: t.value.status,
            lastHeartbeatTime: heartbeat,
            lastTransitionTime: formatTime(t.lastTransitionMs),
            reason: t.value.reason,
            message: t.value.message,
        }))
    }
}
