// The rollout loop against a fake API and a fake clock: no network, no waiting.
import assert from "node:assert/strict"
import { describe, test } from "node:test"
import { resolveTargets, rollout, NodeNotFound, type NodeResult } from "../../tools/rollout/controller"
import { summary } from "../../tools/rollout/summary"
import { FakeCluster, type Kubelet } from "./fake"
import { NEW, OLD, OLD_REF, REF, type NodeFacts } from "./fixtures"

const onOld: NodeFacts = { desired: OLD_REF, digest: OLD, status: "running", boot: "b1", version: "0.1.0" }

/** Takes the update: pulling at 1 s, installing at 3 s, on the new image after a reboot at 5 s. */
const updates: Kubelet = (f, t) => {
    if (f.desired !== REF.text) return { ...f, status: "running" }
    if (t >= 5000) return { ...f, status: "running", digest: NEW, boot: "b2", version: "0.2.0" }
    if (t >= 3000) return { ...f, status: "installing" }
    if (t >= 1000) return { ...f, status: `pulling ${Math.min(99, Math.round(t / 30))}%` }
    return f
}
/** Refuses the image after pulling it. */
const refuses: Kubelet = (f, t) =>
    f.desired !== REF.text ? { ...f, status: "running" } : t >= 2000 ? { ...f, status: "failed: layer digest mismatch" } : t >= 1000 ? { ...f, status: "pulling 50%" } : f
/** Installs it, boots it, does not confirm it, boots the old one again. */
const rollsBack: Kubelet = (f, t) => {
    if (f.desired !== REF.text) return f
    if (t >= 8000) return { ...f, status: "rolled back: not confirmed within 60 s", boot: "b3" }
    if (t >= 4000) return { ...f, status: "installing", boot: "b2" }
    return { ...f, status: "installing" }
}
const ignores: Kubelet = f => f

function run(cluster: FakeCluster, names: string[], timeoutMs = 600_000) {
    const lines: string[] = []
    const results = rollout(names, REF, { api: cluster, clock: cluster, log: l => lines.push(l), timeoutMs, pollMs: 1000 })
    return results.then(r => ({ results: r, lines }))
}

describe("rollout loop", () => {
    test("two nodes updated one after the other, each timed from its annotation to Ready", async () => {
        const cluster = new FakeCluster().add("n1", onOld, updates).add("n2", onOld, updates)
        const { results, lines } = await run(cluster, ["n1", "n2"])
        assert.deepEqual(results, [
            { node: "n1", outcome: "updated", ms: 5000, version: "picokubelet 0.2.0 on DeviceScript" },
            { node: "n2", outcome: "updated", ms: 5000, version: "picokubelet 0.2.0 on DeviceScript" },
        ])
        assert.deepEqual(cluster.writes, [["n1", REF.text], ["n2", REF.text]])
        const n1 = lines.filter(l => l.startsWith("n1: "))
        assert.deepEqual(n1, [
            `n1: picokubelet.dev/firmware=${REF.text}`,
            "n1: pulling 33%",
            "n1: pulling 67%",
            "n1: installing",
            "n1: booted (bootID b2)",
            "n1: running",
            "n1: Ready on picokubelet 0.2.0 on DeviceScript after 5 s",
        ])
        // n2 is annotated only once n1 is Ready
        assert.ok(lines.indexOf(`n2: picokubelet.dev/firmware=${REF.text}`) > lines.indexOf("n1: Ready on picokubelet 0.2.0 on DeviceScript after 5 s"))
    })

    test("failed: the previous annotation is put back, the next node is not touched", async () => {
        const cluster = new FakeCluster().add("n1", onOld, refuses).add("n2", onOld, updates)
        const { results, lines } = await run(cluster, ["n1", "n2"])
        assert.deepEqual(results, [
            { node: "n1", outcome: "failed", ms: 2000, reason: "failed: layer digest mismatch" },
            { node: "n2", outcome: "not started" },
        ])
        assert.deepEqual(cluster.writes, [["n1", REF.text], ["n1", OLD_REF]])
        assert.ok(lines.includes("n1: update failed: failed: layer digest mismatch"))
        assert.ok(lines.includes(`n1: picokubelet.dev/firmware restored to ${OLD_REF}`))
    })

    test("rolled back on a node that had no annotation: the annotation is removed", async () => {
        const factory: NodeFacts = { status: "running", boot: "b1" }
        const cluster = new FakeCluster().add("n1", factory, rollsBack)
        const { results, lines } = await run(cluster, ["n1"])
        assert.deepEqual(results, [{ node: "n1", outcome: "failed", ms: 8000, reason: "rolled back: not confirmed within 60 s" }])
        assert.deepEqual(cluster.writes, [["n1", REF.text], ["n1", null]])
        assert.ok(lines.includes("n1: picokubelet.dev/firmware removed (there was none)"))
    })

    test("the time limit: restored after it, with the last status in the reason", async () => {
        const cluster = new FakeCluster().add("n1", onOld, (f, t) => (f.desired === REF.text && t >= 1000 ? { ...f, status: "pulling 3%" } : f))
        const { results } = await run(cluster, ["n1"], 10_000)
        assert.deepEqual(results, [{ node: "n1", outcome: "failed", ms: 10_000, reason: "timed out after 10 s (firmware-status: pulling 3%)" }])
        assert.deepEqual(cluster.writes, [["n1", REF.text], ["n1", OLD_REF]])
    })

    test("a node already on the digest and Ready is skipped without a write; one without the annotation gets it", async () => {
        const there: NodeFacts = { desired: REF.text, digest: NEW, status: "running", boot: "b1" }
        const unannotated: NodeFacts = { digest: NEW, status: "running", boot: "b1" }
        const cluster = new FakeCluster().add("n1", there, ignores).add("n2", unannotated, ignores).add("n3", onOld, updates)
        const { results, lines } = await run(cluster, ["n1", "n2", "n3"])
        assert.deepEqual(results.map(r => r.outcome), ["skipped", "skipped", "updated"])
        assert.deepEqual(cluster.writes, [["n2", REF.text], ["n3", REF.text]])
        assert.ok(lines.includes(`n1: already runs ${NEW} and is Ready`))
    })

    test("a read that fails mid-wait is a blip; the rollout goes on", async () => {
        const cluster = new FakeCluster()
        cluster.add("n1", onOld, (f, t) => {
            if (t === 2000) cluster.readFailures = 2
            return updates(f, t)
        })
        const { results } = await run(cluster, ["n1"])
        assert.deepEqual(results.map(r => r.outcome), ["updated"])
        assert.equal(cluster.readFailures, 0)
    })

    test("a node deleted mid-update fails the rollout", async () => {
        const cluster = new FakeCluster()
        cluster.add("n1", onOld, (f, t) => {
            if (t >= 1000) cluster.remove("n1")
            return f
        })
        const { results } = await run(cluster, ["n1"])
        assert.deepEqual(results, [{ node: "n1", outcome: "failed", ms: 2000, reason: "the node was deleted" }])
    })

    test("a restore that fails is reported; the rollout still stops", async () => {
        const cluster = new FakeCluster().add("n1", onOld, refuses)
        const lines: string[] = []
        let writes = 0
        const results = await rollout(["n1"], REF, {
            api: {
                getNode: n => cluster.getNode(n),
                listNodes: s => cluster.listNodes(s),
                setFirmware: async (n, r) => {
                    if (writes++ > 0) throw new Error("annotating node n1: https://k:6443 answered 503")
                    return cluster.setFirmware(n, r)
                },
            },
            clock: cluster,
            log: l => lines.push(l),
            timeoutMs: 600_000,
            pollMs: 1000,
        })
        assert.equal(results[0].outcome, "failed")
        assert.ok(lines.includes(`n1: could not restore picokubelet.dev/firmware (${OLD_REF}): annotating node n1: https://k:6443 answered 503`))
    })
})

describe("targets", () => {
    const cluster = new FakeCluster().add("n2", onOld).add("n10", onOld).add("n1", onOld)

    test("named nodes, sorted, each once", async () => {
        assert.deepEqual(await resolveTargets(cluster, ["n2", "n1", "n2"], "x"), ["n1", "n2"])
    })
    test("an unknown name fails before anything is written", async () => {
        await assert.rejects(resolveTargets(cluster, ["n1", "nope"], "x"), (e: Error) => e instanceof NodeNotFound && e.message === 'node "nope" not found')
    })
    test("by selector, sorted by name", async () => {
        assert.deepEqual(await resolveTargets(cluster, [], "kubernetes.io/os=devicescript"), ["n1", "n10", "n2"])
    })
    test("a selector that matches nothing is an error", async () => {
        await assert.rejects(resolveTargets(cluster, [], "rack=b"), /no nodes match the label selector rack=b/)
    })
})

describe("summary", () => {
    test("a row per node, in rollout order, columns aligned", () => {
        const results: NodeResult[] = [
            { node: "esp-node-01", outcome: "updated", ms: 41_600, version: "picokubelet 0.2.0 on DeviceScript" },
            { node: "esp-node-02", outcome: "skipped" },
            { node: "esp-node-03", outcome: "failed", ms: 600_000, reason: "timed out after 600 s (firmware-status: pulling 3%)" },
            { node: "esp-node-04", outcome: "not started" },
        ]
        assert.equal(
            summary(results),
            [
                "NODE          RESULT        TIME    DETAIL",
                "esp-node-01   updated       42 s    picokubelet 0.2.0 on DeviceScript",
                "esp-node-02   skipped       -",
                "esp-node-03   failed        600 s   timed out after 600 s (firmware-status: pulling 3%)",
                "esp-node-04   not started   -",
            ].join("\n")
        )
    })
})
