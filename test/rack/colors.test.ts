import assert from "node:assert/strict"
import { describe, test } from "node:test"
import {
    CONNECTING_PERIOD_MS,
    DISCONNECTED_PERIOD_MS,
    frame,
    HEALTHY_PERIOD_MS,
    MAX_LEVEL,
    Pattern,
    PATTERN_NAMES,
    PANIC_PERIOD_MS,
    SELF_TEST_STEP_MS,
    WARNING_PERIOD_MS,
} from "../../src/led/patterns"
import { colorName, displayRgb, ledBlock, ledName, PATTERN_COLOR } from "../../tools/rack/colors"

/** Samples across two periods of each pattern, including its dimmest and brightest. */
function samples(p: Pattern, periodMs: number): number[] {
    const out: number[] = []
    for (let t = 0; t < 2 * periodMs; t += periodMs / 20) out.push(frame(p, t))
    return out
}

describe("LED colour names", () => {
    test("each pattern's colours are named by their hue", () => {
        assert.equal(colorName(frame(Pattern.Off, 0)), "off")
        assert.deepEqual(
            [0, 1, 2, 3].map(step => colorName(frame(Pattern.SelfTest, step * SELF_TEST_STEP_MS + 50))),
            ["red", "green", "blue", "off"]
        )
        assert.equal(colorName(frame(Pattern.Booting, 0)), "grey")
        for (const rgb of samples(Pattern.Connecting, CONNECTING_PERIOD_MS)) assert.equal(colorName(rgb), "blue")
        for (const rgb of samples(Pattern.Healthy, HEALTHY_PERIOD_MS)) assert.equal(colorName(rgb), "green")
        assert.equal(colorName(frame(Pattern.Activity, 0)), "yellow")
        // amber on its bright half and on its dim half: never yellow, never red
        for (const rgb of samples(Pattern.Warning, WARNING_PERIOD_MS)) assert.equal(colorName(rgb), "amber")
        for (const rgb of samples(Pattern.Disconnected, DISCONNECTED_PERIOD_MS)) assert.equal(colorName(rgb), "red")
        assert.deepEqual(
            [0, PANIC_PERIOD_MS / 2].map(t => colorName(frame(Pattern.Panic, t))),
            ["red", "off"]
        )
    })

    test("every pattern has a one-word colour, used for the plain-text cell", () => {
        assert.deepEqual(Object.keys(PATTERN_COLOR).sort(), [...PATTERN_NAMES].sort())
        assert.equal(ledName(frame(Pattern.Healthy, 10), "Healthy"), "green (Healthy)")
        // the dark half of a Panic flash still reads red: the pattern names the colour
        assert.equal(ledName(frame(Pattern.Panic, PANIC_PERIOD_MS / 2), "Panic"), "red (Panic)")
        assert.equal(ledName(frame(Pattern.Warning, 0)), "amber")
        assert.equal(ledName(undefined), "?")
    })

    test("the block scales the dim LED up to full brightness, keeping the hue", () => {
        assert.deepEqual(displayRgb(frame(Pattern.Activity, 0)), [255, 255, 0])
        assert.deepEqual(displayRgb(frame(Pattern.Booting, 0)), [81, 81, 81])
        const peak = Math.max(...samples(Pattern.Healthy, HEALTHY_PERIOD_MS).map(c => (c >> 8) & 0xff))
        assert.equal(peak, MAX_LEVEL)
        assert.deepEqual(displayRgb(peak << 8), [0, 255, 0])
        assert.equal(ledBlock(frame(Pattern.Panic, 0)), "\x1b[48;2;255;0;0m  \x1b[0m")
        assert.equal(ledBlock(0), "\x1b[48;2;0;0;0m  \x1b[0m")
    })
})
