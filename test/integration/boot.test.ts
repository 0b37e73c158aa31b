import assert from "node:assert/strict"
import { after, describe, test } from "node:test"
import { readFileSync } from "node:fs"
import { HEAP_BYTES } from "../../src/platform/snapshot"
import { Simulator } from "../../tools/simulator"
import { boardFraction, PATCH, STOCK_FRACTION } from "../../tools/simulator/board-gc.cjs"

// The firmware in the simulator, deployed with settings through devtools
// exactly as a user deploys it.

const TOKEN = "q7x2mz.9kd03hf81mzq72lp"

describe("boot in the simulator", () => {
    let sim: Simulator | undefined
    after(async () => sim?.stop())

    test("valid settings: the configuration is logged with the token redacted", async () => {
        sim = await Simulator.start({
            settings: { K3S_HOST: "k3s.example.test", K3S_PORT: 16443, NODE_NAME: "esp-sim-boot", K3S_TOKEN: TOKEN },
        })
        const line = await sim.waitForLog(/^config: /, 20000)
        assert.match(line, /host=k3s\.example\.test port=16443 tls=true node=esp-sim-boot/)
        assert.match(line, /token=<redacted bootstrap, 23 chars>/)
        for (const l of sim.logs) {
            assert.ok(!l.includes(TOKEN), `token leaked in: ${l}`)
            assert.ok(!l.includes(TOKEN.split(".")[1]), `token secret leaked in: ${l}`)
        }
        // the VM collects garbage as the board's patched runtime does; what it had read from the
        // heap's devs_gc_t is the stock threshold, so the field read and written is the right one
        const fraction = boardFraction(readFileSync(PATCH, "utf8"))
        const gc = sim.logs.filter(l => l.startsWith("board: GC"))
        assert.deepEqual(gc, [`board: GC every ${HEAP_BYTES / fraction} B allocated (JD_GC_FRACTION ${fraction}, as the board's firmware), was every ${HEAP_BYTES / STOCK_FRACTION} B`])
        await sim.stop()
        sim = undefined
    })

    test("a bad K3S_PORT is reported by name, and the program waits instead of crashing", async () => {
        sim = await Simulator.start({
            settings: { K3S_HOST: "k3s.example.test", K3S_PORT: "abc", NODE_NAME: "esp-sim-boot", K3S_TOKEN: TOKEN },
        })
        await sim.waitForLog('settings: K3S_PORT: "abc" is not a port number', 20000)
        // still alive and not restarting: no panic, no second start banner
        await new Promise(r => setTimeout(r, 3000))
        assert.equal(sim.logs.filter(l => /^start: /.test(l)).length, 1, sim.logs.join("\n"))
        assert.ok(!sim.logs.some(l => /PANIC|Unhandled exception/.test(l)), sim.logs.join("\n"))
        assert.ok(!sim.logs.some(l => l.startsWith("config: ")))
        await sim.stop()
        sim = undefined
    })
})
