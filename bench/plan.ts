// How much each figure measures: the full run and the quick one CI runs so
// the benchmark cannot rot. Every number the report scales by comes from here,
// so the report can say what was shortened.
import { HEAP_BYTES } from "../src/platform/snapshot"
import { settingDefault } from "../src/settings/settings"

export interface Plan {
    name: "full" | "quick"
    /** Steady-state window of every wire-cost client. */
    wire: { renewals: number; statusPosts: number; oursStatusSecs: number }
    /**
     * Heap bisection: the cycle each trial must complete (with MAX_PODS pods
     * running), and when to stop. At 0 pods: a search of its own (full) or one
     * trial at the smallest ballast that failed with pods (quick). At twice
     * MAX_PODS: a search down from that ballast, or none. `pull`: the same
     * bisection with a firmware pull from a real OCI registry in place of the
     * cycle, no pods (minutes of trials: the full run only).
     */
    heap: {
        renewals: number
        statusPosts: number
        statusSecs: number
        resolutionKb: number
        zeroPods: "search" | "trial"
        doublePods: "search" | "none"
        pull: boolean
    }
    /** Renewal intervals with and without pod churn: intervals measured in each phase. */
    churn: { intervals: number }
    /** Time to Ready and outage recovery: sessions, outage length. */
    timing: { sessions: number; outageMs: number }
    /** Small requests of the transport benchmark. */
    transportRequests: number
    /**
     * The rack: boards per rack, one rack after another; the steady window
     * measured in each, a whole number of renewal periods (RENEW_SECS is the
     * default); STATUS_SECS of its boards, shortened below the renewal period
     * so that each status sample (one a renewal period) posts.
     */
    rack: { boards: number[]; windowSeconds: number; statusSecs: number }
    /**
     * Peers side by side on a real control plane (the full run only): each
     * client's steady window and the settle before it (its boot's lists and
     * watches over); the status periods of ours and of kwok shortened so that
     * a window holds several posts (scaled back to their real cadence).
     */
    peers?: { windowSeconds: number; settleSeconds: number; oursStatusSecs: number; kwokStatusSecs: number }
}

export const plans: Record<Plan["name"], Plan> = {
    full: {
        name: "full",
        wire: { renewals: 30, statusPosts: 3, oursStatusSecs: 10 },
        heap: { renewals: 30, statusPosts: 3, statusSecs: 10, resolutionKb: 1, zeroPods: "search", doublePods: "search", pull: true },
        churn: { intervals: 30 },
        timing: { sessions: 5, outageMs: 60000 },
        transportRequests: 100,
        rack: { boards: [1, 2, 4, 8, 16], windowSeconds: 60, statusSecs: 5 },
        peers: { windowSeconds: 180, settleSeconds: 15, oursStatusSecs: 20, kwokStatusSecs: 20 },
    },
    quick: {
        name: "quick",
        wire: { renewals: 10, statusPosts: 2, oursStatusSecs: 4 },
        heap: { renewals: 8, statusPosts: 3, statusSecs: 2, resolutionKb: 12, zeroPods: "trial", doublePods: "none", pull: false },
        churn: { intervals: 10 },
        timing: { sessions: 1, outageMs: 20000 },
        transportRequests: 100,
        rack: { boards: [1, 2], windowSeconds: 10, statusSecs: 5 },
    },
}

const renewSecs: number = settingDefault("RENEW_SECS")
const statusSecs: number = settingDefault("STATUS_SECS")
// unset: the renewal period
const podSecs: number = settingDefault("POD_SECS") ?? renewSecs
/** The real cadence (the firmware's defaults) the hourly figures are scaled to. */
export const REAL = {
    renewSecs,
    statusSecs,
    podSecs,
    renewalsPerHour: 3600 / renewSecs,
    statusPostsPerHour: 3600 / statusSecs,
    podListingsPerHour: 3600 / podSecs,
}

/** Pods the firmware runs at most by default (MAX_PODS). */
export const MAX_PODS: number = settingDefault("MAX_PODS")

/** The heap of DeviceScript's VM (JD_GC_KB), in the simulator as on the ESP32-S3. */
export const HEAP_KB = HEAP_BYTES / 1024
