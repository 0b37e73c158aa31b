// Every LED pattern as a pure function of time: (pattern, ms since the
// pattern started) -> 0xRRGGBB, brightness cap already applied. The fiber
// that drives the pixel only samples these.

export const enum Pattern {
    Off,
    SelfTest,
    Booting,
    Connecting,
    Healthy,
    Activity,
    Warning,
    Disconnected,
    Panic,
}

export const PATTERN_NAMES = [
    "Off",
    "SelfTest",
    "Booting",
    "Connecting",
    "Healthy",
    "Activity",
    "Warning",
    "Disconnected",
    "Panic",
]

/** ~15 % of full scale: full power is painful indoors. */
export const MAX_LEVEL = 38
export const SELF_TEST_STEP_MS = 200
export const SELF_TEST_MS = 4 * SELF_TEST_STEP_MS
export const ACTIVITY_MS = 100
/** ~1.5 Hz */
export const CONNECTING_PERIOD_MS = 667
/** ~0.33 Hz */
export const HEALTHY_PERIOD_MS = 3000
export const WARNING_PERIOD_MS = 1000
export const DISCONNECTED_PERIOD_MS = 2000
export const PANIC_PERIOD_MS = 200

export function rgb(r: number, g: number, b: number): number {
    return (r << 16) | (g << 8) | b
}

/**
 * 0..1..0 over one period, smooth at both ends: a smoothstep of a triangle,
 * close to a raised cosine (DeviceScript's Math has no cos).
 */
export function breathe(t: number, periodMs: number): number {
    const phase = (t % periodMs) / periodMs
    const tri = 1 - Math.abs(2 * phase - 1)
    return tri * tri * (3 - 2 * tri)
}

/** A breathing level that never goes fully dark, so the LED reads as alive. */
function level(t: number, periodMs: number, floor: number): number {
    return Math.round(MAX_LEVEL * (floor + (1 - floor) * breathe(t, periodMs)))
}

export function frame(p: Pattern, t: number): number {
    switch (p) {
        case Pattern.SelfTest: {
            const step = Math.floor(t / SELF_TEST_STEP_MS)
            if (step === 0) return rgb(MAX_LEVEL, 0, 0)
            if (step === 1) return rgb(0, MAX_LEVEL, 0)
            if (step === 2) return rgb(0, 0, MAX_LEVEL)
            return 0
        }
        case Pattern.Booting:
            return rgb(12, 12, 12)
        case Pattern.Connecting:
            return rgb(0, 0, level(t, CONNECTING_PERIOD_MS, 0.1))
        case Pattern.Healthy:
            return rgb(0, level(t, HEALTHY_PERIOD_MS, 0.1), 0)
        case Pattern.Activity:
            return rgb(MAX_LEVEL, MAX_LEVEL, 0)
        case Pattern.Warning: {
            // amber, on half of each second: unlike the yellow flash, it stays
            const on = t % WARNING_PERIOD_MS < WARNING_PERIOD_MS / 2
            return on ? rgb(MAX_LEVEL, 15, 0) : rgb(6, 2, 0)
        }
        case Pattern.Disconnected:
            return rgb(level(t, DISCONNECTED_PERIOD_MS, 0.05), 0, 0)
        case Pattern.Panic:
            return t % PANIC_PERIOD_MS < PANIC_PERIOD_MS / 2 ? rgb(MAX_LEVEL, 0, 0) : 0
    }
    return 0
}
