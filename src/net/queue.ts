// A fair FIFO lock for cooperative fibers: holders run one at a time in
// arrival order. Release hands the lock straight to the oldest waiter (the
// releasing fiber cannot take it back before the waiter wakes up).
import * as ds from "@devicescript/core"

interface Waiter {
    fiber: ds.Fiber
    granted: boolean
}

export class FairQueue {
    private busy = false
    private waiters: Waiter[] = []

    /** Waits for the lock up to timeoutMs; false when the time ran out (then the lock is not held). */
    async acquire(timeoutMs: number): Promise<boolean> {
        if (!this.busy) {
            this.busy = true
            return true
        }
        const me: Waiter = { fiber: ds.Fiber.self(), granted: false }
        this.waiters.push(me)
        const deadline = ds.millis() + timeoutMs
        while (!me.granted) {
            const left = deadline - ds.millis()
            if (left <= 0) {
                const i = this.waiters.indexOf(me)
                if (i >= 0) this.waiters.insert(i, -1)
                return false
            }
            await ds.suspend(left)
        }
        return true
    }

    release() {
        const next = this.waiters.shift()
        if (!next) {
            this.busy = false
            return
        }
        // the lock stays busy: it now belongs to next
        next.granted = true
        if (next.fiber.suspended) next.fiber.resume(null)
    }
}
