import * as ds from "@devicescript/core"
import { PlatformSnapshot, PlatformSource, TRANSPORT_NAMES } from "./snapshot"

// Reads the Picokubelet Platform service: the native overlay serves it on the
// ESP32, sim/ serves it in the simulator. A register read waits until some
// device answers, so reads happen on this module's own fiber and everyone
// else reads the latest snapshot.

const POLL_MS = 1000

function dotted(b: Buffer): string {
    if (!b || b.length !== 4) return ""
    const s = `${b[0]}.${b[1]}.${b[2]}.${b[3]}`
    return s === "0.0.0.0" ? "" : s
}

export class PlatformMonitor implements PlatformSource {
    private readonly latest: PlatformSnapshot = {
        known: false,
        transport: 0,
        linkUp: false,
        address: "",
        heapFree: -1,
        transportChanges: 0,
    }
    private readonly role = new ds.PicokubeletPlatform()

    snapshot(): PlatformSnapshot {
        return this.latest
    }

    /** Starts the polling fiber; `onChange` hears link and address changes. */
    start(onChange: (s: PlatformSnapshot) => void) {
        const self = this
        setInterval(async () => {
            try {
                await self.poll(onChange)
            } catch (e: any) {
                console.error(`platform: ${e.message}`)
            }
        }, POLL_MS)
    }

    private async poll(onChange: (s: PlatformSnapshot) => void) {
        if (!this.role.isBound) return
        const s = this.latest
        const before = `${s.transport}/${s.linkUp}/${s.address}`
        s.transport = await this.role.transport.read()
        s.linkUp = await this.role.linkUp.read()
        s.address = dotted(await this.role.ipAddress.read())
        s.heapFree = await this.role.gcFree.read()
        s.transportChanges = await this.role.transportChanges.read()
        const after = `${s.transport}/${s.linkUp}/${s.address}`
        if (!s.known || after !== before) {
            s.known = true
            console.log(
                `platform: ${TRANSPORT_NAMES[s.transport] || s.transport} link=${s.linkUp ? "up" : "down"} ip=${s.address || "none"}`
            )
            onChange(s)
        }
    }
}
