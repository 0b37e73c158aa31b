import * as ds from "@devicescript/core"
import "@devicescript/runtime"
import { startLed } from "@devicescript/drivers"
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
    let current = -1
    let since = 0
    let shown = -1
    setInterval(async () => {
        try {
            const now = ds.millis()
            const p = status.pattern(now)
            if (p !== current) {
                const flash = p === Pattern.Activity || (current === Pattern.Activity && p === Pattern.Healthy)
                if (!flash) console.log(`led: ${PATTERN_NAMES[p]}`)
                current = p
                since = now
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
