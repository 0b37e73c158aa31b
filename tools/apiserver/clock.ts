// The node lifecycle controller judges liveness by its own clock, so tests
// need to move that clock by hand instead of sleeping for 40 s.
export interface Clock {
    now(): number
    /** Calls fn every `ms` of this clock's time; returns a cancel function. */
    every(ms: number, fn: () => void): () => void
}

export const systemClock: Clock = {
    now: () => Date.now(),
    every(ms, fn) {
        const timer = setInterval(fn, ms)
        // a ticking controller must not keep node:test (or the CLI) alive
        timer.unref()
        return () => clearInterval(timer)
    },
}

export class FakeClock implements Clock {
    private timers = new Set<{ ms: number; next: number; fn: () => void }>()

    constructor(private t = Date.parse("2026-11-20T22:39:29Z")) {}

    now(): number {
        return this.t
    }

    every(ms: number, fn: () => void): () => void {
        const timer = { ms, next: this.t + ms, fn }
        this.timers.add(timer)
        return () => this.timers.delete(timer)
    }

    /** Moves time forward, firing due timers in time order as it goes. */
    advance(ms: number): void {
        const end = this.t + ms
        for (;;) {
            let due: { ms: number; next: number; fn: () => void } | undefined
            for (const timer of this.timers)
                if (timer.next <= end && (!due || timer.next < due.next))
                    due = timer
            if (!due) break
            this.t = due.next
            due.next += due.ms
            due.fn()
        }
        this.t = end
    }
}
