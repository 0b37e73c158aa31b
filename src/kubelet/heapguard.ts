import * as ds from "@devicescript/core"
import { Kubelet } from "./kubelet"

// Running out of the 64 KB heap is a panic in the middle of whatever request
// was in flight. When the platform reports the heap all but exhausted on two
// samples in a row, a restart on our terms is the better failure: the LED
// says Panic first, and the next boot re-registers through the 409 path.

/** Free DeviceScript heap below which a restart is due. */
export const EXHAUSTED_BYTES = 1024
/** Consecutive low samples before acting: one low reading may be a transient. */
const LOW_SAMPLES = 2
/** Long enough for a person to see the Panic blink. */
const PANIC_SHOW_MS = 2000

export class HeapGuard {
    private low = 0

    /** Call once per sample; does not return when it restarts the program. */
    async check(k: Kubelet) {
        const p = k.platform.snapshot()
        const free = p.known ? p.heapFree : -1
        this.low = free >= 0 && free < EXHAUSTED_BYTES ? this.low + 1 : 0
        if (this.low < LOW_SAMPLES) return
        console.error(`kubelet: heap exhausted (${free} bytes free on ${LOW_SAMPLES} samples); restarting`)
        k.led.panic = true
        await k.timer.sleep(PANIC_SHOW_MS)
        ds.restart()
    }
}
