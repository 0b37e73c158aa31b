// bench/heap.ts's reading of where a failed trial died and what a trial says
// of each phase's bounds, and the renewal interval figures bench/soak.ts
// reports (bench/churn.ts's statistics). Here because tools/test.ts runs
// this folder's node tests.
import assert from "node:assert/strict"
import { test } from "node:test"
import { intervalStats } from "../../bench/churn"
import { bisect, failedIn, gotThrough, oomDump, oomText, Phase, sideOfGoal, Trial, whereDied } from "../../bench/heap"
import { headroomText } from "../../bench/report"
import { lateCount } from "../../bench/soak"

test("a trial that never anchored the clock died in boot, whatever its own work", () => {
    assert.equal(whereDied(["start: ...", "ballast: 40 KB held", "config: host=localhost"], "renewals"), "boot")
})

test("anchored but no lease: registration; a lease adopted (409) counts as registered", () => {
    const booted = ["kubelet: clock anchored at 2025-01-01T00:00:00Z from the API server's Date"]
    assert.equal(whereDied([...booted, "kubelet: node esp-1 registered, uid 7"], "pull"), "registration")
    assert.equal(whereDied([...booted, "lease: kube-node-lease/esp-1 exists; owner set to node uid 7"], "pull"), "pull")
    assert.equal(whereDied([...booted, "lease: created kube-node-lease/esp-1"], "status posts"), "status posts")
})

test("interval statistics: p99 and the count over twice the period", () => {
    // 100 renewals: 98 intervals of 1 s, one of 1.9 s and one of 2.5 s
    const intervals = [...Array(98).fill(1000), 1900, 2500]
    const times = intervals.reduce((ts, i) => [...ts, ts[ts.length - 1] + i], [0])
    const s = intervalStats(times, 1000)
    assert.equal(s.count, 100)
    assert.equal(s.p50Ms, 1000)
    assert.equal(s.p99Ms, 1900)
    assert.equal(s.maxMs, 2500)
    assert.equal(lateCount(s, 2000), 1)
})

test("no renewals, no intervals", () => {
    const s = intervalStats([5], 1000)
    assert.equal(s.count, 0)
    assert.equal(lateCount(s, 2000), 0)
})

test("phase bounds: a trial of boot says nothing of registration; one that died in registration failed every later phase", () => {
    const trial = (phase: Phase, ok: boolean, diedIn?: string): Trial => ({ kb: 20, pods: 0, phase, ok, detail: "", seconds: 1, diedIn })
    const boot = trial("boot", true)
    assert.ok(gotThrough(boot, "boot"))
    assert.ok(!gotThrough(boot, "registration"))
    const renewals = trial("renewals", true)
    assert.ok(gotThrough(renewals, "boot") && gotThrough(renewals, "registration") && gotThrough(renewals, "renewals"))
    assert.ok(!gotThrough(renewals, "status posts"))
    const died = trial("renewals", false, "registration")
    assert.ok(gotThrough(died, "boot") && !gotThrough(died, "registration"))
    assert.ok(!failedIn(died, "boot") && failedIn(died, "registration") && failedIn(died, "pod walk"))
    const own = trial("status posts", false, "status posts")
    assert.ok(failedIn(own, "status posts") && !failedIn(own, "renewals") && gotThrough(own, "registration"))
    // a cycle trial (no phase) that died in its cycle passed the common phases and failed no phase
    const cycle: Trial = { kb: 20, pods: 8, ok: false, detail: "", seconds: 1, diedIn: "cycle" }
    assert.ok(gotThrough(cycle, "registration") && !failedIn(cycle, "renewals"))
})

test("an out-of-memory as the heap dumper logs it: what was asked for, and how the free heap was cut up", () => {
    const lines = [
        "pods: default/web-1 Running, 2 container(s)",
        "heapdump: OOM of 1036 B (after a GC: used = live) heap @0x3a2a0 65536 B: used 46244 B in 539 blocks, free 19280 B in 120 blocks, largest free 932 B",
        "heapdump: by kind: buffer 19700 B/20, string 2332 B/72",
    ]
    const o = oomDump(lines)
    assert.deepEqual(o, { requestedBytes: 1036, freeBytes: 19280, holes: 120, largestHoleBytes: 932 })
    assert.equal(oomText(o!), "asked for 1036 B with 18.8 KB free in 120 pieces, the largest 932 B")
    // the runtime did not say the size; a second VM's prefix
    assert.deepEqual(oomDump(["heapdump: vm2 OOM (after a GC: used = live) heap @0x1 65536 B: used 1 B in 1 blocks, free 2 B in 3 blocks, largest free 4 B"]), {
        requestedBytes: undefined,
        freeBytes: 2,
        holes: 3,
        largestHoleBytes: 4,
    })
    assert.equal(oomDump(lines.slice(0, 1)), undefined)
})

/** A firmware whose cycle passes up to `limitKb[pods]` of ballast, and the trials asked of it. */
function fakeRun(limitKb: Record<number, number>) {
    const asked: string[] = []
    const run = async (kb: number, pods: number): Promise<Trial> => {
        asked.push(`${kb}/${pods}`)
        return { kb, pods, ok: kb <= limitKb[pods], detail: "", seconds: 1 }
    }
    return { run, asked }
}

test("quick plan: a pass at the goal with MAX_PODS pods is one trial, and no pods are not tried", async () => {
    const { run, asked } = fakeRun({ 8: 30, 0: 40 })
    const { withPods, noPods } = await sideOfGoal(run, 12)
    assert.deepEqual(asked, ["24/8"])
    assert.equal(headroomText(withPods), ">= 24 KB (one trial at 24 KB passed)")
    assert.equal(noPods.trials.length, 0)
    assert.equal(headroomText(noPods), ">= 24 KB (implied by the trial with pods)")
})

test("quick plan: a failure at the goal tries no pods there, then bisects below it", async () => {
    const { run, asked } = fakeRun({ 8: 13, 0: 30 })
    const { withPods, noPods } = await sideOfGoal(run, 12)
    assert.deepEqual(asked, ["24/8", "24/0", "12/8"])
    assert.equal(headroomText(withPods), "12 KB (24 KB fails)")
    assert.deepEqual(withPods.trials.map(t => t.kb), [24, 12])
    assert.equal(headroomText(noPods), ">= 24 KB (one trial at 24 KB passed)")
})

test("quick plan: nothing fits, not even without ballast", async () => {
    const { run, asked } = fakeRun({ 8: -1, 0: 10 })
    const { withPods, noPods } = await sideOfGoal(run, 12)
    assert.deepEqual(asked, ["24/8", "24/0", "12/8", "0/8"])
    assert.equal(headroomText(withPods), "none: the cycle fails with no ballast")
    assert.equal(headroomText(noPods), "< 24 KB (one trial at 24 KB failed)")
})

test("full plan: bisection with pods from the goal, then a search up without them from what passed", async () => {
    const { run, asked } = fakeRun({ 8: 25, 0: 31 })
    const { withPods, noPods } = await bisect(run, 1)
    assert.equal(headroomText(withPods), "25 KB (26 KB fails)")
    assert.equal(asked[0], "24/8")
    assert.equal(headroomText(noPods), "31 KB (32 KB fails)")
    assert.ok(asked.filter(a => a.endsWith("/0")).every(a => Number(a.split("/")[0]) > 25))
})
