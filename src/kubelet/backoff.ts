// Exponential back-off with jitter, as the upstream kubelet retries its
// heartbeats: 100 ms doubling to a 7 s cap. Jitter spreads a rack of boards
// that lost the API server together, so they do not return in lockstep.

export class Backoff {
    private attempt = 0

    constructor(
        private readonly initialMs: number,
        private readonly capMs: number,
        private readonly jitter: number,
        /** Uniform in [0, 1). */
        private readonly random: () => number
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

/** The upstream kubelet's retry schedule: 100 ms doubling to 7 s, 20 % jitter. */
export function retryBackoff(random: () => number): Backoff {
    return new Backoff(100, 7000, 0.2, random)
}
