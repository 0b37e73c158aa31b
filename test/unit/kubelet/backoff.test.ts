import { describe, expect, test } from "../harness"
import { expectEqual } from "../matchers"
import { Backoff } from "../../../src/kubelet/backoff"

describe("backoff", () => {
    test("100 ms doubling to a 7 s cap without jitter", () => {
        const b = new Backoff(100, 7000, 0.2, () => 0)
        const seq: number[] = []
        for (let i = 0; i < 10; i++) seq.push(b.next())
        expectEqual(seq, [100, 200, 400, 800, 1600, 3200, 6400, 7000, 7000, 7000])
        b.reset()
        expect(b.next()).toBe(100)
    })
    test("jitter adds up to 20 %", () => {
        const b = new Backoff(100, 7000, 0.2, () => 0.999)
        expect(b.next()).toBe(120)
        expect(b.next()).toBe(240)
        const capped = new Backoff(7000, 7000, 0.2, () => 1)
        expect(capped.next()).toBe(8400)
    })
})
