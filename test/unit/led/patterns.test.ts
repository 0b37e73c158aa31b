import * as ds from "@devicescript/core"
import { describe, expect, test } from "../harness"
import { expectEqual } from "../matchers"
import { breathe, frame, MAX_LEVEL, Pattern, rgb } from "../../../src/led/patterns"

function channels(c: number) {
    return [(c >> 16) & 0xff, (c >> 8) & 0xff, c & 0xff]
}

describe("led patterns: frames", () => {
    test("self-test: red, green, blue, off, 200 ms each", () => {
        expectEqual(frame(Pattern.SelfTest, 0), rgb(MAX_LEVEL, 0, 0))
        expectEqual(frame(Pattern.SelfTest, 199), rgb(MAX_LEVEL, 0, 0))
        expectEqual(frame(Pattern.SelfTest, 200), rgb(0, MAX_LEVEL, 0))
        expectEqual(frame(Pattern.SelfTest, 399), rgb(0, MAX_LEVEL, 0))
        expectEqual(frame(Pattern.SelfTest, 400), rgb(0, 0, MAX_LEVEL))
        expectEqual(frame(Pattern.SelfTest, 600), 0)
        expectEqual(frame(Pattern.SelfTest, 5000), 0)
    })
    test("booting: solid dim white", () => {
        ;[0, 333, 10000].forEach(t => expectEqual(frame(Pattern.Booting, t), rgb(12, 12, 12)))
    })
    test("brightness never exceeds ~15 %", async () => {
        const all = [Pattern.SelfTest, Pattern.Booting, Pattern.Connecting, Pattern.Healthy, Pattern.Activity, Pattern.Warning, Pattern.Disconnected, Pattern.Panic]
        for (const p of all) {
            for (let t = 0; t < 3000; t += 37) {
                const c = channels(frame(p, t))
                expect(c[0] <= MAX_LEVEL && c[1] <= MAX_LEVEL && c[2] <= MAX_LEVEL).toBe(true)
            }
            await ds.sleep(1) // the opcode watchdog counts per slice
        }
    })
    test("connecting: blue breathing at ~1.5 Hz", () => {
        expectEqual(channels(frame(Pattern.Connecting, 0)), [0, 0, 4])
        const peak = channels(frame(Pattern.Connecting, 333))
        expectEqual([peak[0], peak[1]], [0, 0])
        expect(peak[2] >= MAX_LEVEL - 1).toBe(true)
        expectEqual(frame(Pattern.Connecting, 667), frame(Pattern.Connecting, 0))
    })
    test("healthy: green breathing at ~0.33 Hz", () => {
        expectEqual(channels(frame(Pattern.Healthy, 0)), [0, 4, 0])
        expectEqual(channels(frame(Pattern.Healthy, 1500)), [0, MAX_LEVEL, 0])
        expectEqual(frame(Pattern.Healthy, 3000), frame(Pattern.Healthy, 0))
        expect(frame(Pattern.Healthy, 750) === frame(Pattern.Healthy, 1500)).toBe(false)
    })
    test("activity: yellow", () => {
        expectEqual(channels(frame(Pattern.Activity, 50)), [MAX_LEVEL, MAX_LEVEL, 0])
    })
    test("warning: amber, bright half of each second", () => {
        expectEqual(channels(frame(Pattern.Warning, 0)), [MAX_LEVEL, 15, 0])
        expectEqual(channels(frame(Pattern.Warning, 499)), [MAX_LEVEL, 15, 0])
        expectEqual(channels(frame(Pattern.Warning, 500)), [6, 2, 0])
        expectEqual(channels(frame(Pattern.Warning, 1000)), [MAX_LEVEL, 15, 0])
    })
    test("disconnected: slow red pulse, never fully dark", () => {
        expectEqual(channels(frame(Pattern.Disconnected, 0)), [2, 0, 0])
        expectEqual(channels(frame(Pattern.Disconnected, 1000)), [MAX_LEVEL, 0, 0])
    })
    test("panic: fast red blink, 5 Hz", () => {
        expectEqual(frame(Pattern.Panic, 0), rgb(MAX_LEVEL, 0, 0))
        expectEqual(frame(Pattern.Panic, 99), rgb(MAX_LEVEL, 0, 0))
        expectEqual(frame(Pattern.Panic, 100), 0)
        expectEqual(frame(Pattern.Panic, 200), rgb(MAX_LEVEL, 0, 0))
    })
    test("breathe is 0 at the edges and 1 in the middle", () => {
        expectEqual(breathe(0, 1000), 0)
        expectEqual(breathe(500, 1000), 1)
    })
})
