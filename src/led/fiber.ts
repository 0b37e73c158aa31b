import * as ds from "@devicescript/core"
import "@devicescript/runtime"
// the LED server module alone: the package index sets up every driver (~1 KB of heap)
import { startLed } from "@devicescript/drivers/src/ledserver"
import { pins } from "@dsboard/waveshare_esp32_s3_eth"
import { frame, Pattern, PATTERN_NAMES } from "./patterns"
import { LedStatus } from "./status"

/** 25 frames a second is smooth for a breathe and cheap for the VM. */
const FRAME_MS = 40

/**
 * Starts the one fiber that drives the WS2812. It never touches the network,
 * so it keeps animating while a TLS handshake blocks the kubelet fibers.
 * Pattern changes are logged ("led: Healthy"), flashes are not.
 */
export async function startLedFiber(status: LedStatus): Promise<void> {
    const led = await startLed({
        length: 1,
        hwConfig: { type: ds.LedStripLightType.WS2812B_GRB, pin: pins.P21 },
    })
    // The first write waits until the program's Led role binds to its own
    // server (~1 s); only then can the self-test be seen, so it starts now.
    await led.showAll(0)
    status.startSelfTest(ds.millis())
    let current = -1
    let logged = -1
    let since = 0
    let shown = -1
    setInterval(async () => {
        try {
            const now = ds.millis()
            const p = status.pattern(now)
            if (p !== current) {
                current = p
                since = now
                // a flash is Healthy for the log: one line per state, not per renewal
                const state = p === Pattern.Activity ? Pattern.Healthy : p
                if (state !== logged) console.log(`led: ${PATTERN_NAMES[state]}`)
                logged = state
            }
            const color = frame(p, now - since)
            if (color !== shown) {
                await led.showAll(color)
                shown = color
            }
        } catch (e: any) {
            // an LED error must not stop the kubelet: report it and go on
            console.error(`led: ${e.message}`)
        }
    }, FRAME_MS)
}
