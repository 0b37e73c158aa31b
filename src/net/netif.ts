import * as ds from "@devicescript/core"

// The board facts TypeScript cannot see by itself - transport, link, address,
// free heap - come from the Picokubelet Platform service (services/): the
// native overlay serves it on the ESP32, sim/ serves it in the simulator.
// A register read waits until some device answers, so reads happen on this
// module's own fiber and everyone else reads the latest snapshot.

export const TRANSPORT_NAMES = ["none", "ethernet", "wifi", "sim"]

export interface NetifSnapshot {
    /** False until the platform service has answered once. */
    known: boolean
    transport: number
    linkUp: boolean
    /** Dotted IPv4, "" when there is none. */
    ip: string
    /** Free bytes in the DeviceScript heap. */
    gcFree: number
    gcMinFree: number
    transportChanges: number
}

const POLL_MS = 1000

function dotted(b: Buffer): string {
    if (!b || b.length !== 4) return ""
    const s = `${b[0]}.${b[1]}.${b[2]}.${b[3]}`
    return s === "0.0.0.0" ? "" : s
}

export class Netif {
    readonly snapshot: NetifSnapshot = {
        known: false,
        transport: 0,
        linkUp: false,
        ip: "",
        gcFree: -1,
        gcMinFree: -1,
        transportChanges: 0,
    }
    private readonly role = new ds.PicokubeletPlatform()

    /** Starts the polling fiber; `onChange` hears link and address changes. */
    start(onChange: (s: NetifSnapshot) => void) {
        const self = this
        setInterval(async () => {
            try {
                await self.poll(onChange)
            } catch (e: any) {
                console.error(`netif: ${e.message}`)
            }
        }, POLL_MS)
    }

    private async poll(onChange: (s: NetifSnapshot) => void) {
        if (!this.role.isBound) return
        const s = this.snapshot
        const before = `${s.transport}/${s.linkUp}/${s.ip}`
        s.transport = await this.role.transport.read()
        s.linkUp = await this.role.linkUp.read()
        s.ip = dotted(await this.role.ipAddress.read())
        s.gcFree = await this.role.gcFree.read()
        s.gcMinFree = await this.role.gcMinFree.read()
        s.transportChanges = await this.role.transportChanges.read()
        const after = `${s.transport}/${s.linkUp}/${s.ip}`
        if (!s.known || after !== before) {
            s.known = true
            console.log(
                `netif: ${TRANSPORT_NAMES[s.transport] || s.transport} link=${s.linkUp ? "up" : "down"} ip=${s.ip || "none"}`
            )
            onChange(s)
        }
    }
}
