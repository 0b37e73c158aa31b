// The board has no real-time clock: wall time is the API server's Date header
// plus the monotonic time elapsed since it arrived. The monotonic source is a
// parameter so the logic is testable without waiting.

/** Date has whole seconds: the server's true time lies in [date, date + 1 s). */
const HALF_SECOND = 500

export class WallClock {
    private offset: number = undefined
    private lastRenewal = -1
    /** Largest |skew| seen since boot, in ms. */
    maxAbsSkew = 0

    constructor(private readonly monotonic: () => number) {}

    isAnchored(): boolean {
        return this.offset !== undefined
    }

    /**
     * Anchors wall time to a server Date (epoch ms). Returns the skew: how far
     * the server is ahead (+) or behind (-) of what this clock showed.
     */
    anchor(serverEpochMs: number): number {
        const mono = this.monotonic()
        const fresh = serverEpochMs + HALF_SECOND - mono
        const skew = this.isAnchored() ? fresh - this.offset : 0
        this.offset = fresh
        if (Math.abs(skew) > this.maxAbsSkew) this.maxAbsSkew = Math.abs(skew)
        return skew
    }

    /** Wall time in epoch ms; throws before the first anchor. */
    now(): number {
        if (!this.isAnchored()) throw new Error("wall clock not anchored yet")
        return this.monotonic() + this.offset
    }

    /**
     * Epoch ms for the next lease renewTime: strictly greater than the last
     * one, even when a re-anchor moved the clock backwards, because the node
     * lifecycle controller ignores a renewTime that does not increase.
     */
    nextRenewTime(): number {
        const t = Math.max(Math.floor(this.now()), this.lastRenewal + 1)
        this.lastRenewal = t
        return t
    }
}
