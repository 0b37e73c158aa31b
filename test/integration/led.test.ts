import assert from "node:assert/strict"
import { after, before, describe, test } from "node:test"
import { ApiServer, startApiServer } from "../../tools/apiserver"
import { Simulator } from "../../tools/simulator"
import { eventually } from "../harness/admin"
import { nodeCondition, readyAndRenewing } from "../harness/node-state"

// The LED as a person sees it, read back from the simulator's Led service,
// driven by real kubelet state: boot, renewals, an API server outage, and a
// pulled cable (the simulated platform service's link).

const NODE = "esp-sim-led"
const RENEW_S = 2
const GRACE_S = 8

type Colour = "off" | "red" | "green" | "blue" | "yellow" | "amber" | "white" | "other"

function colour(rgb: number): Colour {
    const r = (rgb >> 16) & 0xff
    const g = (rgb >> 8) & 0xff
    const b = rgb & 0xff
    if (!r && !g && !b) return "off"
    if (r && r === g && g === b) return "white"
    if (r && !g && !b) return "red"
    if (!r && g && !b) return "green"
    if (!r && !g && b) return "blue"
    if (r && r === g && !b) return "yellow"
    if (r > g && !b) return "amber"
    return "other"
}

/** Colours in order with repeats collapsed. */
function runs(samples: { rgb: number }[]): Colour[] {
    const out: Colour[] = []
    for (const s of samples) {
        const c = colour(s.rgb)
        if (out[out.length - 1] !== c) out.push(c)
    }
    return out
}

/** True when `want` appears in `seq` in order (other colours may come between). */
function inOrder(seq: Colour[], want: Colour[]): boolean {
    let i = 0
    for (const c of seq) if (c === want[i]) i++
    return i === want.length
}

const ready = (api: ApiServer) => nodeCondition(api, NODE, "Ready")?.status

describe("the status LED in the simulator", () => {
    let api: ApiServer
    let sim: Simulator
    before(async () => {
        api = await startApiServer({ port: 0, quiet: true, gracePeriodSeconds: GRACE_S })
        sim = await Simulator.start({
            settings: { K3S_HOST: "localhost", K3S_PORT: api.port, K3S_TOKEN: api.tokens.bootstrap, NODE_NAME: NODE, RENEW_SECS: RENEW_S, LEASE_SECS: 8 },
            vmEnv: { NODE_EXTRA_CA_CERTS: api.caFile! },
        })
    })
    after(async () => {
        await sim?.stop()
        await api?.stop()
    })

    test("boot, Healthy with flashes, API server gone: Disconnected, back: Healthy", async () => {
        await sim.waitForLog(/^lease: renewed #3 /, 30000)
        const boot = runs(sim.ledSamples)
        assert.ok(inOrder(boot, ["red", "green", "blue", "off", "white", "blue", "yellow", "green", "yellow", "green"]), boot.join(" "))
        // Healthy comes after the first renewal, not at lease creation
        const created = sim.logs.findIndex(l => l.startsWith("lease: created"))
        const healthy = sim.logs.findIndex(l => l === "led: Healthy")
        const renewed = sim.logs.findIndex(l => l.startsWith("lease: renewed #1 "))
        assert.ok(created >= 0 && renewed > created && healthy > renewed, `created ${created}, renewed ${renewed}, healthy ${healthy}`)

        const mark = sim.ledSamples.length
        await api.refuseConnections(4 * RENEW_S * 1000)
        await sim.waitForLed(rgb => colour(rgb) === "red", 3 * RENEW_S * 1000)
        await sim.waitForLed(rgb => colour(rgb) === "green", 6 * RENEW_S * 1000)
        const outage = runs(sim.ledSamples.slice(mark))
        assert.ok(inOrder(outage, ["green", "red", "green"]), outage.join(" "))
        assert.ok(sim.logs.includes("led: Disconnected"))
    })

    test("cable pulled: Disconnected, renewals pause, no crash; plugged back: Ready within two renew periods", async () => {
        await readyAndRenewing(api, sim, NODE)
        const mark = sim.logs.length
        const renewalsBefore = sim.logs.filter(l => l.startsWith("lease: renewed #")).length
        const leaseCalls = () => api.log.entries.filter(e => e.method === "PATCH" && e.path.includes("/leases/")).length
        sim.platform!.setLink(false)
        await sim.waitForLog("lease: link down; renewals paused", 5000)
        await sim.waitForLed(rgb => colour(rgb) === "red", 5000)
        const callsAtPause = leaseCalls()
        await eventually("Ready=Unknown", 3 * GRACE_S * 1000, () => (ready(api) === "Unknown" ? true : undefined))
        assert.ok(leaseCalls() - callsAtPause <= 1, "no renewals while the link is down")
        const pluggedAt = Date.now()
        sim.platform!.setLink(true)
        await eventually("Ready again", 4 * RENEW_S * 1000, () => (ready(api) === "True" ? true : undefined))
        const took = Date.now() - pluggedAt
        assert.ok(took <= 2 * RENEW_S * 1000, `Ready ${took} ms after the link came back`)
        await sim.waitForLed(rgb => colour(rgb) === "green", 5000)
        assert.ok(sim.logs.filter(l => l.startsWith("lease: renewed #")).length > renewalsBefore)
        assert.ok(!sim.logs.some(l => /PANIC|Unhandled exception/.test(l)))
        // no restart while the cable was out (an earlier test may have restarted it on purpose)
        assert.equal(sim.logs.slice(mark).filter(l => /^start: /.test(l)).length, 0)
    })

    test("heap exhausted: Panic blink, a restart on our terms, then Ready again", async () => {
        await readyAndRenewing(api, sim, NODE)
        const mark = sim.logs.length
        sim.platform!.setGcFree(500)
        await sim.waitForLog(/^kubelet: heap exhausted \(500 bytes free/, 4 * RENEW_S * 1000, mark)
        await sim.waitForLog("led: Panic", 2000, mark)
        // fast red blink: lit and dark frames alternate
        await sim.waitForLed(rgb => colour(rgb) === "red", 1000)
        await sim.waitForLed(rgb => colour(rgb) === "off", 1000)
        await sim.waitForLog(/^start: /, 10000, mark)
        sim.platform!.setGcFree(40000)
        await sim.waitForLog(/^kubelet: node esp-sim-led existed/, 30000, mark)
        await eventually("Ready", 10000, () => (ready(api) === "True" ? true : undefined))
        assert.ok(!sim.logs.slice(mark).some(l => /OutOfMemory|PANIC/.test(l)))
    })
})
