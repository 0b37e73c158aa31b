// plan() and observe() as tables: a Node before, the Node read later, the verdict.
import assert from "node:assert/strict"
import { describe, test } from "node:test"
import { observe, plan, startProgress, timedOut, type Update } from "../../tools/rollout/steps"
import { NEW, node, OLD, OLD_REF, REF, type NodeFacts } from "./fixtures"

describe("plan: what to do with a node before touching it", () => {
    const rows: [string, NodeFacts, string][] = [
        ["runs the digest, Ready, annotated", { desired: REF.text, digest: NEW }, "skip"],
        ["runs the digest, Ready, annotated otherwise", { desired: OLD_REF, digest: NEW }, "skip+annotate"],
        ["runs the digest, Ready, no annotation", { digest: NEW }, "skip+annotate"],
        ["runs the digest, not Ready", { desired: REF.text, digest: NEW, ready: false }, "update without reboot"],
        ["runs another digest", { desired: OLD_REF, digest: OLD }, "update"],
        ["runs a factory image (empty digest)", { digest: "" }, "update"],
        ["runs a factory image (no digest)", {}, "update"],
    ]
    for (const [what, facts, expected] of rows)
        test(what, () => {
            const p = plan(node("n1", facts), REF, 5000)
            const got = p.kind === "skip" ? (p.annotate ? "skip+annotate" : "skip") : p.update.needsReboot ? "update" : "update without reboot"
            assert.equal(got, expected)
        })

    test("an update remembers the annotation, boot and status it found, and when it started", () => {
        const p = plan(node("n1", { desired: OLD_REF, digest: OLD, status: "running", boot: "b7" }), REF, 5000)
        assert.equal(p.kind, "update")
        assert.deepEqual(p.kind === "update" && p.update, {
            node: "n1",
            reference: REF,
            previousAnnotation: OLD_REF,
            previousBootID: "b7",
            previousStatus: "running",
            needsReboot: true,
            startedAt: 5000,
        })
    })

    test("no annotation before: nothing to restore", () => {
        const p = plan(node("n1", {}), REF, 0)
        assert.equal(p.kind === "update" && p.update.previousAnnotation, undefined)
    })
})

describe("observe: what a later read of the node says", () => {
    const before: NodeFacts = { desired: OLD_REF, digest: OLD, status: "running", boot: "b1" }
    const update = (facts: NodeFacts = before): Update => {
        const p = plan(node("n1", facts), REF, 0)
        assert.equal(p.kind, "update")
        return (p as { update: Update }).update
    }
    const verdict = (facts: NodeFacts, start = update()) => observe(startProgress(start), node("n1", { ...before, ...facts })).verdict

    const rows: [string, NodeFacts, string][] = [
        ["nothing happened yet", {}, "waiting"],
        ["pulling", { status: "pulling 40%" }, "waiting"],
        ["installing", { status: "installing" }, "waiting"],
        ["retrying", { status: "retrying: registry answered 503" }, "waiting"],
        ["new digest, new boot, Ready", { digest: NEW, boot: "b2" }, "done"],
        ["new digest, new boot, not Ready yet", { digest: NEW, boot: "b2", ready: false }, "waiting"],
        ["new digest, new boot, Ready, not yet running (on trial)", { digest: NEW, boot: "b2", status: "installing" }, "waiting"],
        ["new digest, same boot (a report before the reboot)", { digest: NEW }, "waiting"],
        ["new boot, old digest (rebooted, not on the new image)", { boot: "b2" }, "waiting"],
        ["failed", { status: "failed: manifest is not a picokubelet firmware" }, "failed: manifest is not a picokubelet firmware"],
        ["rolled back after a new boot", { status: "rolled back: no confirm in 60 s", boot: "b3" }, "rolled back: no confirm in 60 s"],
        ["a status that only starts like failed", { status: "failedish" }, "waiting"],
    ]
    for (const [what, facts, expected] of rows)
        test(what, () => {
            const v = verdict(facts)
            assert.equal(v.kind === "failed" ? v.reason : v.kind, expected)
        })

    test("a failure left from an earlier update is not this one's until the node reacts", () => {
        const stale: NodeFacts = { ...before, status: "failed: bad layer" }
        const start = update(stale)
        let p = startProgress(start)
        const read = (facts: NodeFacts) => {
            const step = observe(p, node("n1", { ...stale, ...facts }))
            p = step.progress
            return step.verdict.kind === "failed" ? step.verdict.reason : step.verdict.kind
        }
        assert.equal(read({}), "waiting")
        assert.equal(read({ status: "pulling 10%" }), "waiting")
        assert.equal(read({ status: "failed: bad layer" }), "failed: bad layer")
    })

    test("a failure under an annotation that already named this reference is this reference's", () => {
        const start = update({ ...before, desired: REF.text, status: "rolled back: panicked on trial" })
        const v = observe(startProgress(start), node("n1", { ...before, desired: REF.text, status: "rolled back: panicked on trial" })).verdict
        assert.deepEqual(v, { kind: "failed", reason: "rolled back: panicked on trial" })
    })

    test("a node that runs the digest but was not Ready needs Ready only, not a new boot", () => {
        const start = update({ desired: OLD_REF, digest: NEW, status: "running", boot: "b1", ready: false })
        assert.equal(start.needsReboot, false)
        assert.equal(verdict({ digest: NEW, ready: false }, start).kind, "waiting")
        assert.equal(verdict({ digest: NEW }, start).kind, "done")
    })

    test("done carries the version the node reports", () => {
        const v = verdict({ digest: NEW, boot: "b2", version: "0.2.0" })
        assert.deepEqual(v, { kind: "done", version: "picokubelet 0.2.0 on DeviceScript" })
    })

    test("progress lines: each new status and each new boot, once", () => {
        let p = startProgress(update())
        const lines: string[] = []
        for (const facts of [{}, { status: "pulling 40%" }, { status: "pulling 40%" }, { status: "installing" }, { status: "installing", boot: "b2" }, { status: "running", boot: "b2", digest: NEW }]) {
            const step = observe(p, node("n1", { ...before, ...facts }))
            p = step.progress
            lines.push(...step.lines)
        }
        assert.deepEqual(lines, ["n1: pulling 40%", "n1: installing", "n1: booted (bootID b2)", "n1: running"])
    })

    test("the time limit's reason names the last status seen", () => {
        const step = observe(startProgress(update()), node("n1", { ...before, status: "pulling 90%" }))
        assert.equal(timedOut(step.progress, 600_000), "timed out after 600 s (firmware-status: pulling 90%)")
        const none = update({ digest: OLD, boot: "b1" })
        assert.equal(timedOut(startProgress(none), 5_000), "timed out after 5 s (firmware-status: none)")
    })
})
