// The node lifecycle controller on a fake clock: grace period, Unknown
// conditions, taints, and what brings a node back.
import assert from "node:assert/strict"
import { describe, test } from "node:test"
import { FakeClock } from "../../tools/apiserver/index"
import { leaseBody, leasePath, MERGE, nodeBody, SMP, useEmulator } from "./harness"
import { call } from "./wire"

const microAt = (ms: number) => new Date(ms).toISOString().replace("Z", "000Z")
const readyOf = (node: any) => node.status.conditions.find((c: any) => c.type === "Ready")
const taintKeys = (node: any) => (node.spec.taints ?? []).map((t: any) => `${t.key}:${t.effect}`)

describe("node lifecycle", () => {
    const clock = new FakeClock()
    const ctx = useEmulator({ clock, gracePeriodSeconds: 40 })
    const boot = () => ctx.server.tokens.bootstrap
    const node = () => ctx.server.store.getNode("esp")!
    const renew = (at = clock.now()) => call(ctx.conn, "PATCH", leasePath("esp"), boot(), { spec: { renewTime: microAt(at) } }, MERGE)
    const postReady = () => {
        const t = new Date(clock.now()).toISOString().replace(/\.\d+Z$/, "Z")
        const ready = { type: "Ready", status: "True", reason: "KubeletReady", message: "ready", lastHeartbeatTime: t, lastTransitionTime: t }
        return call(ctx.conn, "PATCH", "/api/v1/nodes/esp/status", boot(), { status: { conditions: [ready] } }, SMP)
    }
    /** Advances in lease-period steps, renewing (or not) at each. */
    const run = async (seconds: number, renewing: boolean) => {
        for (let s = 0; s < seconds; s += 10) {
            clock.advance(10_000)
            if (renewing) assert.equal((await renew()).status, 200)
        }
    }

    test("a registered node that posts Ready=True loses the not-ready taint at the next monitor pass", async () => {
        const created = await call(ctx.conn, "POST", "/api/v1/nodes", boot(), nodeBody("esp"))
        await call(ctx.conn, "POST", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", boot(), leaseBody("esp", microAt(clock.now()), created.json.metadata.uid))
        await postReady()
        assert.ok(taintKeys(node()).includes("node.kubernetes.io/not-ready:NoSchedule"))
        clock.advance(5_000)
        assert.deepEqual(taintKeys(node()), ["picokubelet.dev/no-containers:NoSchedule"])
        assert.match(ctx.server.getNodesWide(), /\nesp +Ready +<none> +5s +v1\.31\.1-picokubelet +192\.168\.0\.111 +<none> +picokubelet on DeviceScript +devicescript-2\.16\.4 +lies:\/\/0\.1\.0\n$/)
    })

    test("while renewTime increases the node stays Ready", async () => {
        await run(120, true)
        assert.equal(readyOf(node()).status, "True")
    })

    test("renewals stop: Ready stays until the grace period, then Unknown with the unreachable taints", async () => {
        const stoppedAt = clock.now()
        await run(30, false)
        assert.equal(readyOf(node()).status, "True", "30 s after the last renewal")
        await run(20, false)
        const n = node()
        for (const type of ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"]) {
            const c = n.status.conditions.find((x: any) => x.type === type)
            assert.equal(c.status, "Unknown", type)
            assert.equal(c.reason, type === "Ready" ? "NodeStatusUnknown" : "NodeStatusNeverUpdated")
        }
        assert.equal(readyOf(n).message, "Kubelet stopped posting node status.")
        assert.deepEqual(taintKeys(n).sort(), [
            "node.kubernetes.io/unreachable:NoExecute",
            "node.kubernetes.io/unreachable:NoSchedule",
            "picokubelet.dev/no-containers:NoSchedule",
        ])
        const last = ctx.server.readyTransitions("esp").at(-1)!
        assert.equal(last.from, "True")
        assert.equal(last.to, "Unknown")
        const waited = last.time - stoppedAt
        assert.ok(waited > 40_000 && waited <= 50_000, `went Unknown ${waited} ms after the last renewal`)
        assert.match(ctx.server.getNodesWide(), /\nesp +NotReady /)
    })

    test("renewals alone do not bring Ready back: the kubelet must post its status again", async () => {
        await run(30, true)
        assert.equal(readyOf(node()).status, "Unknown")
        assert.equal((await postReady()).status, 200)
        clock.advance(5_000)
        assert.equal(readyOf(node()).status, "True")
        assert.deepEqual(taintKeys(node()), ["picokubelet.dev/no-containers:NoSchedule"])
        const transitions = ctx.server.readyTransitions("esp").map(t => `${t.from}->${t.to}`)
        assert.deepEqual(transitions, ["undefined->True", "True->Unknown", "Unknown->True"])
    })

    test("a renewTime that goes backwards is ignored: the node still times out", async () => {
        const high = clock.now() + 3_600_000
        assert.equal((await renew(high)).status, 200)
        for (let i = 1; i <= 6; i++) {
            clock.advance(10_000)
            // the device re-anchored its clock: every renewal is behind the one it already sent
            assert.equal((await renew(high - 60_000 + i * 1000)).status, 200)
        }
        assert.equal(readyOf(node()).status, "Unknown")
    })
})

describe("node that never posts status", () => {
    const clock = new FakeClock()
    const ctx = useEmulator({ clock })

    test("goes Unknown (NodeStatusNeverUpdated) after the 60 s startup grace", async () => {
        await call(ctx.conn, "POST", "/api/v1/nodes", ctx.server.tokens.bootstrap, nodeBody("quiet"))
        // first seen at the next monitor pass (5 s), then 60 s of grace
        clock.advance(65_000)
        assert.equal(ctx.server.store.getNode("quiet")!.status.conditions, undefined)
        clock.advance(10_000)
        const ready = readyOf(ctx.server.store.getNode("quiet"))
        assert.equal(ready.status, "Unknown")
        assert.equal(ready.reason, "NodeStatusNeverUpdated")
    })
})
