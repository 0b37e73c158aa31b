import * as ds from "@devicescript/core"

/**
 * A sleep another fiber can cut short. A ring while nobody waits is kept,
 * so the next wait returns at once: a request is never lost between checks.
 */
export class Wakeup {
    private sleeper: ds.Fiber = null
    private rung = false

    /** Waits up to `ms`, or until ring(). */
    async wait(ms: number) {
        if (!this.rung) {
            this.sleeper = ds.Fiber.self()
            await ds.suspend(ms)
            this.sleeper = null
        }
        this.rung = false
    }

    ring() {
        this.rung = true
        const s = this.sleeper
        if (s && s.suspended) s.resume(null)
    }
}
