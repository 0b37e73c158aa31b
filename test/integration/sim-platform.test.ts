import assert from "node:assert/strict"
import { after, describe, test } from "node:test"
import { LedSample, rgbHex, Simulator, Transport } from "../../tools/simulator"

// The simulated Picokubelet Platform service (sim/platform) as the firmware
// sees it, and the LED read back over the bus. The probe firmware
// (firmware/platform-probe.ts) logs every register value it reads and the
// service's events, and drives the real LED fiber from the link state.

const PROBE = "test/integration/firmware/platform-probe.ts"
const IP = "192.168.0.111"
const LEVEL = 38 // MAX_LEVEL of src/led/patterns.ts

type Hue = "off" | "red" | "green" | "blue" | "yellow" | "grey" | "other"

function hue(rgb: number): Hue {
    const r = rgb >> 16
    const g = (rgb >> 8) & 0xff
    const b = rgb & 0xff
    if (!r && !g && !b) return "off"
    if (r && !g && !b) return "red"
    if (!r && g && !b) return "green"
    if (!r && !g && b) return "blue"
    if (r && r === g && !b) return "yellow"
    if (r === g && g === b) return "grey"
    return "other"
}

/** Hues in order, runs of one hue collapsed. */
function hues(samples: LedSample[]): Hue[] {
    const out: Hue[] = []
    for (const s of samples) {
        const h = hue(s.rgb)
        if (out[out.length - 1] !== h) out.push(h)
    }
    return out
}

const show = (samples: LedSample[]) => samples.map(s => rgbHex(s.rgb)).join(" ")

describe("platform service and LED in the simulator", () => {
    let sim: Simulator | undefined
    after(async () => sim?.stop())

    test("the firmware reads the simulated platform; the LED reads back", async () => {
        await sim?.stop()
        sim = await Simulator.start({ settings: {}, entry: PROBE, platform: { ip: IP, gcFree: 30000 } })
        const s = sim
        const platform = s.platform!
        assert.ok(platform, "platform server started by default")

        // every register, read by the firmware with register.read()
        const first = await s.waitForLog(/^probe: transport=/, 10000)
        assert.equal(
            first,
            `probe: transport=3 link=1 ip=${IP} mac=02:70:6b:00:00:01 gc_free=30000 gc_min_free=30000` +
                " heap_free=182000 heap_min_free=161000 reset=1 changes=0"
        )
        assert.match(await s.waitForLog(/^probe: bound after/, 1), /bound after \d+ ms/)

        // the LED: the fiber starts the self-test once its pixel is bound
        await s.waitForLog("probe: self-test", 10000)
        await s.waitForLog("led: Healthy", 5000, s.logs.length)
        const samples = s.ledSamples
        const red = samples.findIndex((x, i) => x.rgb === LEVEL << 16 && i + 3 < samples.length)
        assert.ok(red >= 0, `no self-test red in ${show(samples)}`)
        const selfTest = samples.slice(red, red + 4)
        assert.deepEqual(
            selfTest.map(x => rgbHex(x.rgb)),
            ["#260000", "#002600", "#000026", "#000000"],
            `LED after the self-test started: ${show(samples.slice(red))}`
        )
        for (let i = 1; i < 4; i++) {
            const step = selfTest[i].t - selfTest[i - 1].t
            assert.ok(step > 100 && step < 400, `self-test step ${i} took ${step} ms`)
        }
        const now = await s.ledColor()
        assert.equal(hue(now), "green", `Healthy reads back as green, got ${rgbHex(now)}`)
        assert.equal(now, s.lastLedColor)

        // heap figures change at runtime; gc_min_free keeps the lowest
        const recording = s.startLedRecording()
        platform.setGcFree(20000)
        await s.waitForLog(/gc_free=20000 gc_min_free=20000 /, 3000)
        platform.setGcFree(35000)
        await s.waitForLog(/gc_free=35000 gc_min_free=20000 /, 3000)

        // cable out: events, registers, LED Disconnected
        let from = s.logs.length
        await platform.setLink(false)
        await s.waitForLog("probe: event link_changed up=0", 3000, from)
        await s.waitForLog("probe: event lost_address", 3000, from)
        await s.waitForLog(/^probe: transport=3 link=0 ip=0\.0\.0\.0 /, 3000, from)
        await s.waitForLog("led: Disconnected", 3000, from)
        await s.waitForLed(rgb => hue(rgb) === "red", 3000)
        assert.equal(hue(await s.ledColor()), "red")

        // cable in: the address comes back, Healthy again (after an activity flash)
        from = s.logs.length
        await platform.setLink(true)
        await s.waitForLog("probe: event link_changed up=1", 3000, from)
        // (its payload is mis-decoded by DeviceScript: see the probe)
        await s.waitForLog("probe: event got_address", 3000, from)
        await s.waitForLog(new RegExp(`^probe: transport=3 link=1 ip=${IP.replace(/\./g, "\\.")} `), 3000, from)
        await s.waitForLed(rgb => hue(rgb) === "green", 3000)
        await new Promise(r => setTimeout(r, 300))
        s.stopLedRecording(recording)
        assert.deepEqual(hues(recording), ["green", "red", "yellow", "green"], show(recording))

        // a new address, and a change of transport
        from = s.logs.length
        await platform.setAddress("10.0.0.7")
        await s.waitForLog("probe: event got_address", 3000, from)
        await s.waitForLog(/^probe: transport=3 link=1 ip=10\.0\.0\.7 /, 3000, from)
        platform.setTransport(Transport.Ethernet)
        await s.waitForLog(/^probe: transport=1 link=1 ip=10\.0\.0\.7 .* changes=1$/, 3000, from)
        assert.deepEqual(
            { ...platform.snapshot() },
            {
                transport: 1,
                linkUp: true,
                ip: "10.0.0.7",
                mac: "02:70:6b:00:00:01",
                gcFree: 35000,
                gcMinFree: 20000,
                heapFree: 182000,
                heapMinFree: 161000,
                resetReason: 1,
                transportChanges: 1,
            }
        )
        assert.ok(!s.logs.some(l => /PANIC|Unhandled exception|^probe: .*error/i.test(l)), s.logs.join("\n"))
        await s.stop()
        sim = undefined
    })

    test("platform: false starts no platform service; the role stays unbound", async () => {
        // a failed test above leaves its simulator running: devtools ports are fixed
        await sim?.stop()
        sim = await Simulator.start({ settings: {}, entry: PROBE, platform: false })
        assert.equal(sim.platform, undefined)
        await sim.waitForLog("probe: started", 10000)
        await new Promise(r => setTimeout(r, 2000))
        assert.ok(!sim.logs.some(l => l.startsWith("probe: bound")), sim.logs.join("\n"))
        await sim.stop()
        sim = undefined
    })
})
