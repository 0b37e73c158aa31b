import assert from "node:assert/strict"
import { describe, test } from "node:test"
import { TAIL_LINES, Watch } from "../../tools/rack/watch"

// formats copied from the firmware's console.log calls (src/kubelet/*.ts, src/reconcilers/*.ts, src/led/fiber.ts)
const CONDS = "Ready=True MemoryPressure=False DiskPressure=False PIDPressure=False NetworkUnavailable=False"

describe("Watch: a board's firmware log", () => {
    test("lease renewals: the count as logged, and when", () => {
        const w = new Watch(() => 0)
        assert.equal(w.renewals, 0)
        assert.equal(w.lastRenewalMs, 0)
        w.take("lease: created kube-node-lease/esp-node-01", 1000)
        assert.equal(w.renewals, 0)
        w.take("lease: renewed #1 renewTime=2025-01-02T03:04:05.678901Z", 2000)
        w.take("lease: renewed #2 renewTime=2025-01-02T03:04:15.678901Z", 12000)
        assert.equal(w.renewals, 2)
        assert.equal(w.lastRenewalMs, 12000)
        w.take("lease: gone (404); recreating it", 20000)
        w.take("lease: recreated, counted as renewal #3", 21000)
        assert.deepEqual([w.renewals, w.lastRenewalMs], [3, 21000])
        w.take("lease: renewal failed (1/3): connection refused; retry in 500 ms", 30000)
        w.take("lease: link down; renewals paused", 31000)
        assert.deepEqual([w.renewals, w.lastRenewalMs], [3, 21000])
        // a reboot counts from 1 again, as the firmware does
        w.take("lease: renewed #1 renewTime=2025-01-02T03:09:15.000000Z", 40000)
        assert.deepEqual([w.renewals, w.lastRenewalMs], [1, 40000])
    })

    test("status posts: why, when, and the heap", () => {
        const w = new Watch(() => 0)
        assert.equal(w.lastStatus, "")
        assert.equal(w.heapFree, undefined)
        w.take(`status: posted (initial) heap=61234 ${CONDS}`, 5000)
        assert.deepEqual([w.lastStatus, w.lastStatusMs, w.heapFree], ["initial", 5000, 61234])
        w.take(`status: posted (condition flipped) heap=1200 ${CONDS.replace("MemoryPressure=False", "MemoryPressure=True")}`, 7000)
        assert.deepEqual([w.lastStatus, w.lastStatusMs, w.heapFree], ["condition flipped", 7000, 1200])
        w.take("status: post failed (report period): timeout; retry in 1000 ms", 8000)
        assert.deepEqual([w.lastStatus, w.lastStatusMs], ["condition flipped", 7000])
        // heap=-1: the platform service had not answered yet
        w.take(`status: posted (re-registered) heap=-1 ${CONDS}`, 9000)
        assert.deepEqual([w.lastStatus, w.heapFree], ["re-registered", undefined])
        w.take("kubelet: heap exhausted (812 bytes free on 3 samples); restarting", 9500)
        assert.equal(w.heapFree, 812)
    })

    test("the LED pattern as the firmware logs it", () => {
        const w = new Watch(() => 0)
        assert.equal(w.ledPattern, undefined)
        for (const p of ["SelfTest", "Booting", "Connecting", "Healthy"]) w.take(`led: ${p}`)
        assert.equal(w.ledPattern, "Healthy")
        w.take("led: pixel write failed")
        assert.equal(w.ledPattern, "Healthy", "an LED error line is no pattern")
    })

    test("pods running, from pod theater's lines; undefined until it reports", () => {
        const w = new Watch(() => 0)
        w.take("pods: listing failed on page 1: timeout")
        assert.equal(w.podsRunning, undefined)
        w.take("pods: default/web-7d4b9c-x2x9q (ReplicaSet) Running, 1 container(s)")
        w.take("pods: default/web-7d4b9c-k8m2z (ReplicaSet) Running, 2 container(s)")
        w.take("pods: kube-system/ds-abcde (DaemonSet) Running, 1 container(s)")
        w.take("pods: default/job-1-q9w8e (Job) Running, 1 container(s)")
        w.take("pods: default/lonely Running, 1 container(s)")
        assert.equal(w.podsRunning, 5)
        w.take("pods: default/job-1-q9w8e Succeeded (pretended to run 5 s)")
        w.take("pods: default/web-7d4b9c-x2x9q deleted")
        w.take("pods: default/lonely is gone")
        assert.deepEqual(w.runningPods(), ["default/web-7d4b9c-k8m2z", "kube-system/ds-abcde"])
        w.take("pods: default/too-many rejected: OutOfpods (MAX_PODS=8)")
        w.take("pods: start default/other failed: HTTP 500")
        w.take("pods: default/web-7d4b9c-k8m2z (ReplicaSet) Ready again, 2 container(s)")
        assert.equal(w.podsRunning, 2)
        w.take("pods: kube-system/ds-abcde was already gone (404)")
        assert.equal(w.podsRunning, 1)
        // a rejection alone is a report: 0 running, not unknown
        const r = new Watch(() => 0)
        r.take("pods: default/too-many rejected: OutOfpods (MAX_PODS=8)")
        assert.equal(r.podsRunning, 0)
    })

    test("times default to the clock; the tail keeps the last lines", () => {
        let now = 100
        const w = new Watch(() => now)
        w.take("lease: renewed #1 renewTime=2025-01-02T03:04:05.678901Z")
        now = 250
        w.take(`status: posted (report period) heap=60000 ${CONDS}`)
        assert.deepEqual([w.lastRenewalMs, w.lastStatusMs], [100, 250])
        for (let i = 0; i < 20; i++) w.take(`line ${i}`)
        assert.equal(w.tail.length, TAIL_LINES)
        assert.equal(w.tail.at(-1), "line 19")
    })
})
