import { ACTIVITY_MS, Pattern, SELF_TEST_MS } from "./patterns"

// What the LED shows, decided from kubelet facts by priority:
// Panic > Disconnected > Warning > Activity (over Healthy) > Healthy >
// Connecting > Booting, with the self-test first at boot. Disconnected beats
// Warning because a refused credential cannot be fixed while unreachable.

/** How far the boot has come. */
export const enum Stage {
    Booting,
    Connecting,
    Running,
}

export class LedStatus {
    stage = Stage.Booting
    /** Set after the first successful lease renewal, never before. */
    healthy = false
    panic = false
    settingsInvalid = false
    credentialRefused = false
    memoryPressure = false
    linkDown = false
    apiUnreachable = false
    private activityAt = -1
    private selfTestAt: number

    constructor(nowMs: number) {
        this.selfTestAt = nowMs
    }

    /** (Re)starts the self-test, once the pixel can actually show it. */
    startSelfTest(nowMs: number) {
        this.selfTestAt = nowMs
    }

    /** A lease renewal succeeded: flash, and Healthy from now on. */
    renewed(nowMs: number) {
        this.healthy = true
        this.activityAt = nowMs
    }

    pattern(nowMs: number): Pattern {
        if (this.panic) return Pattern.Panic
        if (nowMs - this.selfTestAt < SELF_TEST_MS) return Pattern.SelfTest
        if (this.linkDown || this.apiUnreachable) return Pattern.Disconnected
        if (this.settingsInvalid || this.credentialRefused || this.memoryPressure)
            return Pattern.Warning
        if (this.healthy) {
            if (this.activityAt >= 0 && nowMs - this.activityAt < ACTIVITY_MS)
                return Pattern.Activity
            return Pattern.Healthy
        }
        return this.stage === Stage.Booting ? Pattern.Booting : Pattern.Connecting
    }
}
