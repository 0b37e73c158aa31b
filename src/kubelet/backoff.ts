// Exponential back-off with jitter, as the upstream kubelet retries its
// heartbeats: 100 ms doubling to a 7 s cap. Jitter spreads a rack of boards
// that lost the API server together, so they do not return in lockstep.

export class Backoff {
    private attempt = 0

    constructor(
        private readonly initialMs = 100,
        private readonly capMs = 7000,
        private readonly jitter = 0.2,
        private readonly random: () => number = Math.random
    ) {}

    /** Delay before the next retry; each call doubles the base. */
    next(): number {
        const base = Math.min(this.capMs, this.initialMs * Math.pow(2, this.attempt))
        if (base < this.capMs) this.attempt++
        return Math.round(base * (1 + this.jitter * this.random()))
    }

    reset() {
        this.attempt = 0
    }

    /** Retries so far, for log lines. */
    attempts(): number {
        return this.attempt
    }
}
