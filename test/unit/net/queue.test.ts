import * as ds from "@devicescript/core"
import { describe, expect, test } from "../harness"
import { expectEqual } from "../matchers"
import { FairQueue } from "../../../src/net/queue"

describe("fair queue", () => {
    test("release hands over to the oldest waiter; a waiter can time out", async () => {
        const q = new FairQueue()
        const order: string[] = []
        expectEqual(await q.acquire(100), true)
        const waiter = async (name: string) => {
            if (await q.acquire(5000)) {
                order.push(name)
                await ds.sleep(2)
                q.release()
            }
        }
        waiter.start("w1")
        waiter.start("w2")
        await ds.sleep(5)
        expectEqual(order, [], "both wait while the lock is held")
        q.release()
        // the releaser asks again at once: it must queue behind w1 and w2
        expectEqual(await q.acquire(5000), true)
        order.push("me")
        q.release()
        expectEqual(order, ["w1", "w2", "me"])
        expectEqual(await q.acquire(10), true)
        const t0 = ds.millis()
        expectEqual(await q.acquire(50), false)
        expect(ds.millis() - t0 >= 50).toBe(true)
        // the waiter that timed out left the queue: a release frees the lock
        q.release()
        expectEqual(await q.acquire(0), true)
        q.release()
    })
})
