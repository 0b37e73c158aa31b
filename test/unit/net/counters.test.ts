import { describe, test } from "../harness"
import { expectContains, expectEqual } from "../matchers"
import { TransportCounters } from "../../../src/net/counters"

describe("transport counters", () => {
    test("counters: latency median and a summary line", () => {
        const k = new TransportCounters()
        ;[5, 1, 9, 3].forEach(ms => k.recordLatency(ms))
        k.requests = 4
        k.recordError("TimeoutError")
        expectEqual(k.medianLatencyMs(), 4)
        expectEqual(k.lastLatencyMs, 3)
        expectContains(k.summary(), "requests=4 failed=1 conns=0")
        expectContains(k.summary(), "latency_ms(last/median/avg)=3/4/5 errors=TimeoutError:1")
    })
    test("counters: the median is of the last 64 latencies only", () => {
        const k = new TransportCounters()
        for (let i = 0; i < 64; i++) k.recordLatency(1000)
        expectEqual(k.medianLatencyMs(), 1000)
        // 33 of the 64 kept are now 2 ms: the oldest went first
        for (let i = 0; i < 33; i++) k.recordLatency(2)
        expectEqual(k.medianLatencyMs(), 2)
        expectEqual(k.lastLatencyMs, 2)
    })
})
