import assert from "node:assert/strict"
import { after, describe, test } from "node:test"
import { ApiServer, startApiServer } from "../../tools/apiserver"
import { Simulator } from "../../tools/simulator"
import { eventually, sleep } from "../harness/admin"

const NODE = "esp-sim-faulty"

describe("fibers stay alive", () => {
    let api: ApiServer | undefined
    let sim: Simulator | undefined
    after(async () => {
        await sim?.stop()
        await api?.stop()
    })

    test("exceptions thrown into the reconcilers are caught, and the node stays Ready", async () => {
        api = await startApiServer({ port: 0, quiet: true, gracePeriodSeconds: 8 })
        sim = await Simulator.start({
            entry: "test/integration/firmware/kubelet-faulty.ts",
            settings: { K3S_HOST: "localhost", K3S_PORT: api.port, K3S_TOKEN: api.tokens.bootstrap, NODE_NAME: NODE, RENEW_SECS: 2, LEASE_SECS: 8, STATUS_SECS: 4 },
            vmEnv: { NODE_EXTRA_CA_CERTS: api.caFile! },
        })
        await eventually("Ready", 40000, () => (api!.store.getNode(NODE)?.status?.conditions?.find((c: any) => c.type === "Ready")?.status === "True" ? true : undefined))
        const transitions = api.readyTransitions(NODE).length
        await sleep(20000)
        const injected = sim.logs.filter(l => l.includes("injected fault")).length
        assert.ok(injected >= 3, `only ${injected} injected faults seen:\n${sim.logs.join("\n")}`)
        assert.ok(!sim.logs.some(l => /PANIC|Unhandled exception/.test(l)), sim.logs.join("\n"))
        assert.equal(sim.logs.filter(l => /^start: /.test(l)).length, 1, "the program never restarted")
        assert.deepEqual(api.readyTransitions(NODE).slice(transitions), [])
        assert.ok(sim.logs.filter(l => l.startsWith("lease: renewed #")).length >= 5)
    })
})
