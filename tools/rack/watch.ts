import { frame, Pattern, PATTERN_NAMES } from "../../src/led/patterns"
// What one board's firmware log says about it, for the live views (one
// board or the rack). It reads the lines the firmware prints:
//
//   lease: renewed #N renewTime=...                 (src/reconcilers/lease.ts)
//   lease: recreated, counted as renewal #N
//   status: posted (why) heap=N Ready=True ...       (src/kubelet/kubelet.ts)
//   kubelet: heap exhausted (N bytes free on ...)    (src/kubelet/heapguard.ts)
//   led: Healthy                                     (src/led/fiber.ts)
//   pods: ns/name (Kind) Running, N container(s)     (src/reconcilers/pods.ts)
//   pods: ns/name Ready again, N container(s)
//   pods: ns/name Succeeded (pretended to run N s)
//   pods: ns/name rejected: OutOfpods (MAX_PODS=N)
//   pods: ns/name deleted | was already gone (404) | is gone
//
// Times are the caller's clock (Date.now() unless given), taken when the
// line arrives.

/** Lines kept for a view's "firmware log" tail. */
export const TAIL_LINES = 12

export class Watch {
    /** The firmware's renewal count as it last logged it (it starts again at 1 after a reboot). */
    renewals = 0
    /** When the last renewal was logged; 0: never. */
    lastRenewalMs = 0
    /** Why the last status post was made ("initial", "report period", ...); "" before the first. */
    lastStatus = ""
    lastStatusMs = 0
    /** Free heap bytes from the last status post; undefined until one said (heap=-1: unknown). */
    heapFree: number | undefined
    /** The LED pattern the firmware last logged ("Healthy", ...); undefined before the first. */
    ledPattern: string | undefined
    /** When the current LED pattern began: its animation's time zero. */
    ledSinceMs = 0
    /** The last TAIL_LINES lines. */
    readonly tail: string[] = []
    /** Pods the firmware reported Running (ns/name), until it reported them finished or gone. */
    private readonly running = new Set<string>()
    private podsReported = false

    constructor(private readonly clock: () => number = Date.now) {}

    /** Pods reported Running; undefined until pod theater logged anything about a pod. */
    get podsRunning(): number | undefined {
        return this.podsReported ? this.running.size : undefined
    }

    /** The pods reported Running (ns/name), sorted. */
    runningPods(): string[] {
        return [...this.running].sort()
    }

    take(line: string, now = this.clock()) {
        this.tail.push(line)
        if (this.tail.length > TAIL_LINES) this.tail.shift()
        let m: RegExpExecArray | null
        if ((m = /^lease: (?:renewed #|recreated, counted as renewal #)(\d+)/.exec(line))) {
            this.renewals = Number(m[1])
            this.lastRenewalMs = now
        } else if ((m = /^status: posted \((.*)\) heap=(-?\d+)/.exec(line))) {
            this.lastStatus = m[1]
            this.lastStatusMs = now
            const heap = Number(m[2])
            this.heapFree = heap >= 0 ? heap : undefined
        } else if ((m = /^status: posted \(([^)]*)\)/.exec(line))) {
            this.lastStatus = m[1]
            this.lastStatusMs = now
        } else if ((m = /^kubelet: heap exhausted \((\d+) bytes free/.exec(line))) {
            this.heapFree = Number(m[1])
        } else if ((m = /^led: (\w+)$/.exec(line))) {
            if (m[1] !== this.ledPattern) this.ledSinceMs = now
            this.ledPattern = m[1]
        } else if ((m = /^pods: ([^\s/]+\/\S+) (.*)$/.exec(line))) {
            this.pod(m[1], m[2])
        }
    }

    private pod(name: string, what: string) {
        // "(ReplicaSet) Running, 1 container(s)": the owner kind comes first
        const event = what.replace(/^\(\w+\) /, "")
        if (/^(Running|Ready again),/.test(event)) {
            this.running.add(name)
            this.podsReported = true
        } else if (/^(Succeeded|rejected:|deleted$|was already gone|is gone$)/.test(event)) {
            this.running.delete(name)
            this.podsReported = true
        }
        // "pods: start ns/name failed: ..." and listing errors change nothing
    }
}

/**
 * The LED's colour now, from the pattern the firmware logged and the
 * firmware's own frame function: what the pixel shows, without reading it
 * (with several boards on one bus the Led role cannot be bound per board).
 */
export function ledNow(w: Watch, now: number): number | undefined {
    const p = w.ledPattern === undefined ? -1 : PATTERN_NAMES.indexOf(w.ledPattern)
    return p < 0 ? undefined : frame(p as Pattern, now - w.ledSinceMs)
}
