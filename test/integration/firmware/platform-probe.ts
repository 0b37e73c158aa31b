import * as ds from "@devicescript/core"
import { startLedFiber } from "../../../src/led/fiber"
import { Stage, LedStatus } from "../../../src/led/status"

// Test firmware for test/integration/sim-platform.test.ts: reads every
// register of the Picokubelet Platform service the way the kubelet does
// (register.read() once the role is bound), logs a line whenever a value
// changes, logs the service's events, and drives the LED through the real
// LED fiber from the link state: self-test at boot, Healthy while the link is
// up, Disconnected while it is down.
//
// The LED fiber starts its self-test only once the pixel is bound (the first
// write waits for the program's Led role, about a second in the simulator),
// so the test sees all of red, green, blue, off.

const POLL_MS = 250
const HEX = "0123456789abcdef"

function hex(b: Buffer): string {
    let s = ""
    for (let i = 0; i < b.length; i++) s += (i ? ":" : "") + HEX[b[i] >> 4] + HEX[b[i] & 15]
    return s
}

function dotted(b: Buffer): string {
    if (!b || b.length !== 4) return `?${b ? b.length : -1}`
    return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`
}

const status = new LedStatus(ds.millis())
await startLedFiber(status)
console.log("probe: self-test")

const platform = new ds.PicokubeletPlatform()
const started = ds.millis()
console.log("probe: started")

platform.linkChanged.subscribe(up => {
    console.log(`probe: event link_changed up=${up ? 1 : 0}`)
})
platform.gotAddress.subscribe(ip => {
    // The client types the payload as a Buffer, but DeviceScript 2.16.4
    // decodes this event's `u8[4]` field as a one-element array holding the
    // first byte as a signed number ([-64] for 192.168.0.111): log what
    // arrived; the address itself is read from the ip_address register.
    const v: any = ip
    const text = Array.isArray(v) ? `[${v.join(",")}]` : dotted(v)
    console.log(`probe: event got_address ip=${text}`)
})
platform.lostAddress.subscribe(() => {
    console.log("probe: event lost_address")
})

let bound = false
let last = ""
setInterval(async () => {
    try {
        if (!platform.isBound) return
        if (!bound) {
            bound = true
            console.log(`probe: bound after ${ds.millis() - started} ms`)
        }
        const transport = await platform.transport.read()
        const link = await platform.linkUp.read()
        const ip = await platform.ipAddress.read()
        const mac = await platform.mac.read()
        const gcFree = await platform.gcFree.read()
        const gcMinFree = await platform.gcMinFree.read()
        const heapFree = await platform.heapFree.read()
        const heapMinFree = await platform.heapMinFree.read()
        const reset = await platform.resetReason.read()
        const changes = await platform.transportChanges.read()
        const line =
            `probe: transport=${transport} link=${link ? 1 : 0} ip=${dotted(ip)} mac=${hex(mac)}` +
            ` gc_free=${gcFree} gc_min_free=${gcMinFree} heap_free=${heapFree} heap_min_free=${heapMinFree}` +
            ` reset=${reset} changes=${changes}`
        if (line !== last) {
            last = line
            console.log(line)
        }
        if (link && (status.linkDown || !status.healthy)) {
            status.stage = Stage.Running
            status.linkDown = false
            status.renewed(ds.millis())
        } else if (!link) {
            status.linkDown = true
        }
    } catch (e: any) {
        console.error(`probe: ${e.message}`)
    }
}, POLL_MS)
