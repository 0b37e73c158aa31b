import assert from "node:assert/strict"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { after, before, describe, test } from "node:test"
import { ApiServer, startApiServer } from "../../tools/apiserver"
import { Simulator } from "../../tools/simulator"
import { adminRequest, eventually } from "../harness/admin"
import { nodeCondition, readyAndRenewing } from "../harness/node-state"
import { RUN_SECONDS_ANNOTATION } from "../../src/pods/facts"

// Pod theater in the simulator against the emulator: renew and pod periods
// 2 s, MAX_PODS 2. Pods are created bound to the node, as a scheduler (or a
// user with spec.nodeName) binds them.

const NODE = "esp-pods-01"
const PERIOD_S = 2
const GRACE_S = 8
const IP = "192.168.0.121"

function pod(name: string, extra: { restartPolicy?: string; runSeconds?: number } = {}) {
    const annotations = extra.runSeconds === undefined ? undefined : { [RUN_SECONDS_ANNOTATION]: String(extra.runSeconds) }
    return {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, namespace: "default", annotations },
        spec: {
            nodeName: NODE,
            restartPolicy: extra.restartPolicy ?? "Always",
            containers: [
                { name: "app", image: "nginx:1.27" },
                { name: "sidecar", image: "busybox:1.36" },
            ],
            tolerations: [{ operator: "Exists" }],
        },
    }
}

const ready = (p: any) => p?.status?.conditions?.find((c: any) => c.type === "Ready")?.status

describe("pod theater against the emulator", () => {
    let api: ApiServer
    let sim: Simulator
    const getPod = (name: string) => api.store.getPod("default", name)
    const create = async (body: any) => assert.equal((await adminRequest(api, "POST", "/api/v1/namespaces/default/pods", body)).status, 201)

    before(async () => {
        api = await startApiServer({ port: 0, quiet: true, gracePeriodSeconds: GRACE_S, dataDir: mkdtempSync(join(tmpdir(), "pk-apiserver-")) })
        sim = await Simulator.start({
            settings: {
                K3S_HOST: "localhost",
                K3S_PORT: api.port,
                K3S_TOKEN: api.tokens.bootstrap,
                NODE_NAME: NODE,
                RENEW_SECS: PERIOD_S,
                LEASE_SECS: GRACE_S,
                STATUS_SECS: 60,
                MAX_PODS: 2,
            },
            vmEnv: { NODE_EXTRA_CA_CERTS: api.caFile! },
            platform: { ip: IP, gcFree: 40000 },
        })
        await readyAndRenewing(api, sim, NODE)
    })
    after(async () => {
        await sim?.stop()
        await api?.stop()
    })

    test("the node's events: Starting, NodeHasSufficientMemory, NodeReady", async () => {
        const reasons = await eventually("node events", 15000, () => {
            const r = api.store.listEvents("default").filter(e => e.involvedObject?.kind === "Node" && e.involvedObject?.name === NODE).map(e => e.reason)
            return r.includes("NodeReady") ? r : undefined
        })
        // the store lists by (generated) name: compare as sets
        assert.deepEqual(reasons.sort(), ["NodeHasSufficientMemory", "NodeReady", "Starting"])
        assert.match(api.describeNode(NODE), /NodeReady/)
    })

    test("a pod bound to the node is reported Running and Ready at the node's address, with its events", async () => {
        await create(pod("web"))
        const p = await eventually("web Ready", 15000, () => (ready(getPod("web")) === "True" ? getPod("web") : undefined))
        assert.equal(p!.status.phase, "Running")
        assert.equal(p!.status.podIP, IP)
        assert.deepEqual(p!.status.hostIPs, [{ ip: IP }])
        assert.deepEqual(p!.status.containerStatuses.map((c: any) => [c.name, c.ready, c.imageID]), [
            ["app", true, "pretend://nginx:1.27"],
            ["sidecar", true, "pretend://busybox:1.36"],
        ])
        const reasons = await eventually("web's events", 10000, () => {
            const r = api.store.listEvents("default").filter(e => e.involvedObject?.name === "web").map(e => `${e.involvedObject.fieldPath} ${e.reason} ${e.type}`)
            return r.length >= 6 ? r : undefined
        })
        assert.deepEqual(reasons.sort(), [
            "spec.containers{app} Created Normal",
            "spec.containers{app} Pulled Normal",
            "spec.containers{app} Started Normal",
            "spec.containers{sidecar} Created Normal",
            "spec.containers{sidecar} Pulled Normal",
            "spec.containers{sidecar} Started Normal",
        ])
    })

    test("a pod that never restarts completes after its pretend run time", async () => {
        await create(pod("job-1", { restartPolicy: "Never", runSeconds: 1 }))
        const p = await eventually("job-1 Succeeded", 20000, () => (getPod("job-1")?.status?.phase === "Succeeded" ? getPod("job-1") : undefined))
        assert.deepEqual(p!.status.containerStatuses.map((c: any) => c.state.terminated?.reason), ["Completed", "Completed"])
        assert.equal(ready(p), "False")
    })

    test("beyond MAX_PODS a pod is rejected OutOfpods, and the ones within run", async () => {
        await create(pod("extra-1"))
        await create(pod("extra-2"))
        const phases = await eventually("both decided", 15000, () => {
            const ph = ["extra-1", "extra-2"].map(n => getPod(n)?.status?.phase)
            return ph.every(x => x === "Running" || x === "Failed") ? ph : undefined
        })
        // web and one of them fill MAX_PODS=2
        assert.deepEqual([...phases].sort(), ["Failed", "Running"])
        const rejected = getPod(phases[0] === "Failed" ? "extra-1" : "extra-2")!
        assert.equal(rejected.status.reason, "OutOfpods")
        assert.match(rejected.status.message, /Node didn't have enough resource: pods, requested: 1, used: 2, capacity: 2/)
    })

    test("kubectl delete pod finishes within two periods: terminated, Killing, deleted", async () => {
        assert.equal((await adminRequest(api, "DELETE", "/api/v1/namespaces/default/pods/web")).status, 200)
        const started = Date.now()
        await eventually("web gone", 2 * PERIOD_S * 1000 + 3000, () => (getPod("web") ? undefined : true))
        const took = Date.now() - started
        assert.ok(took <= 2 * PERIOD_S * 1000 + 3000, `took ${took} ms`)
        assert.ok(api.store.listEvents("default").some(e => e.involvedObject?.name === "web" && e.reason === "Killing"))
    })

    test("after an outage the pods the node controller marked NotReady are Ready again", async () => {
        const running = ["extra-1", "extra-2"].find(n => getPod(n)?.status?.phase === "Running")!
        await sim.powerOff()
        await eventually("pod NotReady", (GRACE_S + 15) * 1000, () => (ready(getPod(running)) === "False" ? true : undefined))
        await sim.powerOn()
        await eventually("node Ready", 40000, () => (nodeCondition(api, NODE, "Ready")?.status === "True" ? true : undefined))
        // the rebooted kubelet adopts the pod and reports it Ready again, keeping its start
        const startTime = getPod(running)!.status.startTime
        await eventually("pod Ready again", 20000, () => (ready(getPod(running)) === "True" ? true : undefined))
        assert.equal(getPod(running)!.status.startTime, startTime)
    })

    test("renewals keep their period while pods churn", async () => {
        // the Lease's renewTime, sampled while six pods are started, completed or rejected
        const renewTimes = new Set<string>()
        let sampling = true
        const sampler = (async () => {
            while (sampling) {
                const t = api.store.getLease("kube-node-lease", NODE)?.spec?.renewTime
                if (t) renewTimes.add(t)
                await new Promise(r => setTimeout(r, 100))
            }
        })()
        const from = sim.logs.length
        for (let i = 0; i < 6; i++) await create(pod(`churn-${i}`, { restartPolicy: "Never", runSeconds: 1 }))
        const started = Date.now()
        await eventually("churn decided", 60000, () =>
            [0, 1, 2, 3, 4, 5].every(i => ["Succeeded", "Failed"].includes(getPod(`churn-${i}`)?.status?.phase)) ? true : undefined
        )
        // at least six periods of samples, churn or not
        await new Promise(r => setTimeout(r, Math.max(0, started + 6 * PERIOD_S * 1000 - Date.now())))
        sampling = false
        await sampler
        assert.ok(sim.logs.slice(from).filter(l => /^pods: .*(Succeeded|rejected)/.test(l)).length >= 6)
        const times = [...renewTimes].map(t => Date.parse(t)).sort((a, b) => a - b)
        const gaps = times.slice(1).map((t, i) => t - times[i])
        // a renewal held up by pod traffic would leave a gap of two periods or more
        assert.ok(gaps.length >= 3, `renewals seen: ${times.length}`)
        assert.ok(Math.max(...gaps) < 2 * PERIOD_S * 1000, `renewal gaps (ms): ${gaps.join(" ")}`)
    })

    test("a listing larger than the heap comes a page at a time: every pod is decided, the node stays up", async () => {
        const from = sim.logs.length
        const names = Array.from({ length: 40 }, (_, i) => `crowd-${String(i).padStart(2, "0")}`)
        for (const n of names) await create(pod(n))
        // 40 pods of ~1.8 KB each in the metadata list: ~70 KB, more than the 64 KB heap
        const listing = await adminRequest(api, "GET", `/api/v1/pods?fieldSelector=spec.nodeName%3D${NODE}`)
        assert.ok(JSON.stringify(listing.json).length > 64 * 1024)
        await eventually("every crowd pod decided", 120000, () =>
            names.every(n => ["Running", "Failed"].includes(getPod(n)?.status?.phase)) ? true : undefined
        ).catch(e => {
            throw new Error(`${e.message}\n${sim.logs.slice(from).slice(-60).join("\n")}`)
        })
        const logs = sim.logs.slice(from)
        assert.equal(logs.filter(l => /^config: /.test(l)).length, 0, "the program did not restart")
        assert.ok(!logs.some(l => /heap exhausted|unexpected error/.test(l)), logs.filter(l => /error/i.test(l)).join("\n"))
        await sim.waitForLog(/^lease: renewed #/, 10000, sim.logs.length)
        assert.equal(nodeCondition(api, NODE, "Ready")?.status, "True")
    })
})
