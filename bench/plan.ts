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
     * Heap headroom: the cycle each trial must complete (with MAX_PODS pods
     * running), and when to stop. `search`: a bisection with MAX_PODS pods,
     * then a search up with none (full); or which side of the goal the
     * firmware is on, one trial at it when it passes (quick). At twice
     * MAX_PODS: a search down from that ballast, or none. `pull`: the same
     * bisection with a firmware pull from a real OCI registry in place of the
     * cycle, no pods (minutes of trials: the full run only).
     */
    heap: {
        renewals: number
        statusPosts: number
        statusSecs: number
        resolutionKb: number
        search: "bisect" | "goal"
        doublePods: "search" | "none"
        pull: boolean
    }
    /** Renewal intervals with and without pod churn: intervals measured in each phase, RENEW_SECS and POD_SECS. */
    churn: { intervals: number; periodSecs: number }
    /** Time to Ready and outage recovery: sessions, outage length, RENEW_SECS (STATUS_SECS is the default). */
    timing: { sessions: number; outageMs: number; renewSecs: number }
    /** Small requests of the transport benchmark. */
    transportRequests: number
    /**
     * The rack: boards per rack, one rack after another; the steady window
     * measured in each, a whole number of renewal periods (RENEW_SECS);
     * STATUS_SECS of its boards, shortened to the renewal period or below
     * so that each status sample (one a renewal period) posts. `oneBoard`:
     * where the one-board baseline comes from: a rack of 1 of its own, or the
     * first rack's first board measured in a second window once that rack's
     * other boards are powered off (a host and a boot fewer).
     */
    rack: { boards: number[]; windowSeconds: number; renewSecs: number; statusSecs: number; oneBoard: "own rack" | "first board alone" }
    /**
     * Peers side by side on a real control plane (the full run only): each
     * client's steady window and the settle before it (its boot's lists and
     * watches over); the status periods of ours and of kwok shortened so that
     * a window holds several posts (scaled back to their real cadence).
     */
    peers?: { windowSeconds: number; settleSeconds: number; oursStatusSecs: number; kwokStatusSecs: number }
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

export const plans: Record<Plan["name"], Plan> = {
    full: {
        name: "full",
        wire: { renewals: 30, statusPosts: 3, oursStatusSecs: 10 },
        heap: { renewals: 30, statusPosts: 3, statusSecs: 10, resolutionKb: 1, search: "bisect", doublePods: "search", pull: true },
        churn: { intervals: 30, periodSecs: 2 },
        timing: { sessions: 5, outageMs: 60000, renewSecs },
        transportRequests: 100,
        rack: { boards: [1, 2, 4, 8, 16], windowSeconds: 60, renewSecs, statusSecs: 5, oneBoard: "own rack" },
        peers: { windowSeconds: 180, settleSeconds: 15, oursStatusSecs: 20, kwokStatusSecs: 20 },
    },
    // churn intervals, the recovery and the rack's windows each last whole renewal periods: the quick run shortens the periods
    quick: {
        name: "quick",
        wire: { renewals: 4, statusPosts: 2, oursStatusSecs: 2 },
        heap: { renewals: 4, statusPosts: 2, statusSecs: 2, resolutionKb: 12, search: "goal", doublePods: "none", pull: false },
        churn: { intervals: 4, periodSecs: 1 },
        // a renewal period: begun mid-period (one session's offset), it spans the next renewal, which fails
        timing: { sessions: 1, outageMs: 5000, renewSecs: 5 },
        transportRequests: 100,
        rack: { boards: [2], windowSeconds: 5, renewSecs: 5, statusSecs: 5, oneBoard: "first board alone" },
    },
}

/** Pods the firmware runs at most by default (MAX_PODS). */
export const MAX_PODS: number = settingDefault("MAX_PODS")

/** The heap of DeviceScript's VM (JD_GC_KB), in the simulator as on the ESP32-S3. */
export const HEAP_KB = HEAP_BYTES / 1024
