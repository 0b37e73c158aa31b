// The firmware's LED colour, for a person: a truecolour block when the view
// is a terminal, a colour name when it is a log. The patterns and their
// colours are src/led/patterns.ts; this only reads the 0xRRGGBB they produce.
import { MAX_LEVEL } from "../../src/led/patterns"

/**
 * The LED is driven dim on purpose: no channel exceeds MAX_LEVEL (38 of
 * 255), and the firmware's "Booting" grey is 12/255. Shown as is, every
 * colour would be near-black on a screen, so the block scales the channels
 * up by 255 / MAX_LEVEL (clamped at 255): the brightest a pattern gets is
 * full scale, and the hue is kept. The names below look at the hue only,
 * so they need no scaling.
 */
export const DISPLAY_GAIN = 255 / MAX_LEVEL

/** The colour the block shows for the LED's 0xRRGGBB: channels scaled by DISPLAY_GAIN. */
export function displayRgb(rgb: number): [number, number, number] {
    const up = (c: number) => Math.min(255, Math.round(c * DISPLAY_GAIN))
    return [up((rgb >> 16) & 0xff), up((rgb >> 8) & 0xff), up(rgb & 0xff)]
}

export const RESET = "\x1b[0m"

/** Two cells of background colour: the LED as a block on a truecolour terminal. */
export function ledBlock(rgb: number): string {
    const [r, g, b] = displayRgb(rgb)
    return `\x1b[48;2;${r};${g};${b}m  ${RESET}`
}

/**
 * The colour's name by its nearest hue: "off" (dark), "grey" (no hue:
 * Booting's 12/12/12), "red" (Disconnected, Panic, the self-test's first
 * step), "amber" (Warning, on and off phase), "yellow" (Activity), "green"
 * (Healthy), "cyan", "blue" (Connecting), "magenta".
 */
export function colorName(rgb: number): string {
    const r = (rgb >> 16) & 0xff
    const g = (rgb >> 8) & 0xff
    const b = rgb & 0xff
    const max = Math.max(r, g, b)
    const min = Math.min(r, g, b)
    if (max === 0) return "off"
    // unsaturated: all three channels within a fifth of each other
    if (max - min <= max / 5) return "grey"
    const d = max - min
    let hue: number
    if (max === r) hue = (60 * (g - b)) / d
    else if (max === g) hue = 60 * ((b - r) / d + 2)
    else hue = 60 * ((r - g) / d + 4)
    if (hue < 0) hue += 360
    // amber is 38/15/0 (24 degrees) and 6/2/0 (20 degrees); yellow is 60
    if (hue < 12 || hue >= 330) return "red"
    if (hue < 42) return "amber"
    if (hue < 80) return "yellow"
    if (hue < 160) return "green"
    if (hue < 200) return "cyan"
    if (hue < 270) return "blue"
    return "magenta"
}

/**
 * Each pattern's colour as one word (by the pattern, not by one sample of
 * it): a log line every 15 s should not say "off" for Panic because it
 * sampled the dark half of a flash.
 */
export const PATTERN_COLOR: Record<string, string> = {
    Off: "off",
    SelfTest: "red/green/blue",
    Booting: "grey",
    Connecting: "blue",
    Healthy: "green",
    Activity: "yellow",
    Warning: "amber",
    Disconnected: "red",
    Panic: "red",
}

/** The plain-text LED cell: the pattern's colour when the pattern is known, else the sample's. */
export function ledName(rgb: number | undefined, pattern?: string): string {
    const name = pattern !== undefined && pattern in PATTERN_COLOR ? PATTERN_COLOR[pattern] : rgb === undefined ? "?" : colorName(rgb)
    return pattern ? `${name} (${pattern})` : name
}
