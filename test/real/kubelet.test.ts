import assert from "node:assert/strict"
import { after, before, describe, test } from "node:test"
import { Cluster, startCluster } from "../../tools/cluster"
import { Simulator } from "../../tools/simulator"
import { eventually, sleep } from "../harness/admin"
import { condition, getLease, getNode, lastRenewal, nodeSettings, RENEW_S, startBoard } from "./harness"

// The firmware against a real kube-apiserver, kube-controller-manager and
// kube-scheduler on kine: what the real server accepts and what the real
// controllers do with it. Renew 2 s, lease 8 s, node-monitor grace 12 s.

const NODE = "esp-real-01"
const GRACE_S = 12
const CONDITIONS = ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure", "Vibes", "Caffeinated", "Existential", "Peckish", "Haunted"]

describe("kubelet against a real control plane", () => {
    let cluster: Cluster
    let sim: Simulator
    before(async () => {
        cluster = await startCluster({ nodeNames: [NODE], nodeMonitorGracePeriodSeconds: GRACE_S, nodeMonitorPeriodSeconds: 1 })
        sim = await startBoard(cluster, nodeSettings(cluster, NODE))
        await sim.waitForLog(/^lease: renewed #1 /, 60000)
    })
    after(async () => {
        await sim?.stop()
        await cluster?.stop()
    })

    const readyStatus = async () => condition(await getNode(cluster, NODE), "Ready")?.status

    test("registration: kubectl shows the node Ready with our versions and address; the not-ready taint is lifted", async () => {
        const node = await eventually("Ready=True without the not-ready taint", 30000, async () => {
            const n = await getNode(cluster, NODE)
            const taints: any[] = n?.spec?.taints ?? []
            return condition(n, "Ready")?.status === "True" && !taints.some(t => t.key === "node.kubernetes.io/not-ready") ? n : undefined
        })
        const wide = await cluster.kubectl.run("get", "node", NODE, "-o", "wide")
        assert.match(
            wide,
            /\nesp-real-01\s+Ready\s+<none>\s+\S+\s+v1\.31\.1-picokubelet\s+192\.168\.0\.111\s+<none>\s+picokubelet (?:v\S+ )?on DeviceScript\s+devicescript-simulator\s+lies:\/\/0\.1\.0/
        )
        assert.deepEqual(node.status.capacity, { cpu: "240m", memory: "320Ki", pods: "8" })
        assert.ok(node.spec.taints.some((t: any) => t.key === "picokubelet.dev/no-containers" && t.effect === "NoSchedule"))

        const described = await cluster.kubectl.run("describe", "node", NODE)
        for (const type of CONDITIONS) assert.match(described, new RegExp(`\\n\\s+${type}\\s+(True|False|Unknown)\\s`), `condition ${type}`)
        assert.match(described, new RegExp(`HolderIdentity:\\s+${NODE}`))
        assert.match(described, /RenewTime:\s+\w{3}, \d{2} \w{3} \d{4}/)
        assert.match(described, /Taints:\s+picokubelet\.dev\/no-containers=true:NoSchedule\n/)
    })

    test("the Lease's renewTime increases every period; its owner is the Node's uid", async () => {
        const node = await getNode(cluster, NODE)
        const seen: { t: number; renewTime: string }[] = []
        const end = Date.now() + 4 * RENEW_S * 1000 + 500
        while (Date.now() < end) {
            const lease = await getLease(cluster, NODE)
            const rt = lease.spec.renewTime
            if (!seen.length || seen[seen.length - 1].renewTime !== rt) seen.push({ t: Date.now(), renewTime: rt })
            assert.deepEqual(lease.metadata.ownerReferences, [{ apiVersion: "v1", kind: "Node", name: NODE, uid: node.metadata.uid }])
            assert.equal(lease.spec.holderIdentity, NODE)
            await sleep(250)
        }
        assert.ok(seen.length >= 4, `renewals seen: ${JSON.stringify(seen)}`)
        for (let i = 1; i < seen.length; i++) {
            assert.ok(seen[i].renewTime > seen[i - 1].renewTime, `renewTime went backwards: ${JSON.stringify(seen)}`)
            assert.match(seen[i].renewTime, /\.\d{6}Z$/)
        }
    })

    test("a MemoryPressure flip passes the real strategic merge: one transition each way, the others untouched", async () => {
        const before = await getNode(cluster, NODE)
        const others = CONDITIONS.filter(t => t !== "MemoryPressure" && t !== "Vibes")
        const transitions = (n: any) => Object.fromEntries(others.map(t => [t, condition(n, t).lastTransitionTime]))
        sim.platform!.setGcFree(10000)
        const pressured = await eventually("MemoryPressure=True", 4 * RENEW_S * 1000, async () => {
            const n = await getNode(cluster, NODE)
            return condition(n, "MemoryPressure")?.status === "True" ? n : undefined
        })
        assert.equal(condition(pressured, "MemoryPressure").reason, "KubeletHasInsufficientMemory")
        assert.equal(pressured.metadata.annotations["picokubelet.dev/heap-bytes-free"], "10000")
        assert.deepEqual(transitions(pressured), transitions(before), "only MemoryPressure (and Vibes, by design) moved")
        assert.equal(pressured.status.conditions.length, CONDITIONS.length, "the merge kept every condition, no duplicates")
        const pressureSince = condition(pressured, "MemoryPressure").lastTransitionTime
        await sleep(2 * RENEW_S * 1000)
        assert.equal(condition(await getNode(cluster, NODE), "MemoryPressure").lastTransitionTime, pressureSince, "no second transition while True")
        sim.platform!.setGcFree(40000)
        const relieved = await eventually("MemoryPressure=False", 4 * RENEW_S * 1000, async () => {
            const n = await getNode(cluster, NODE)
            return condition(n, "MemoryPressure")?.status === "False" ? n : undefined
        })
        assert.notEqual(condition(relieved, "MemoryPressure").lastTransitionTime, pressureSince)
        assert.deepEqual(transitions(relieved), transitions(before))
        assert.equal(relieved.status.conditions.length, CONDITIONS.length)
    })

    test("kubectl delete node: the real garbage collector deletes the Lease; the kubelet registers again and renews", async () => {
        const oldNode = await getNode(cluster, NODE)
        const oldLease = await getLease(cluster, NODE)
        await cluster.kubectl.run("delete", "node", NODE, "--wait=false")
        const deletedAt = Date.now()
        const node = await eventually("node registered again", 20000, async () => {
            const n = await getNode(cluster, NODE)
            return n && n.metadata.uid !== oldNode.metadata.uid ? n : undefined
        })
        const lease = await eventually("a new Lease owned by the new Node", 20000, async () => {
            const l = await getLease(cluster, NODE)
            return l && l.metadata.uid !== oldLease.metadata.uid && l.metadata.ownerReferences?.[0]?.uid === node.metadata.uid ? l : undefined
        })
        const leaseSeenAt = Date.now()
        await sim.waitForLog(/^lease: renewed #/, 2 * RENEW_S * 1000 + 1000, sim.logs.length)
        const renewed = await getLease(cluster, NODE)
        assert.equal(renewed.metadata.uid, lease.metadata.uid, "the new Lease is the one renewed")
        assert.ok(renewed.spec.renewTime > lease.spec.renewTime)
        assert.ok(Date.now() - deletedAt < 30000 && Date.now() - leaseSeenAt <= 2 * RENEW_S * 1000 + 1000)
        await eventually("Ready again", 20000, async () => ((await readyStatus()) === "True" ? true : undefined))
    })

    test("kube-apiserver restarted on the same port: renewals resume, the node never goes Unknown", async () => {
        const seen = new Set<string>()
        let watching = true
        const watcher = (async () => {
            while (watching) {
                const s = await readyStatus().catch(() => undefined) // refused while it restarts
                if (s) seen.add(s)
                await sleep(500)
            }
        })()
        const before = lastRenewal(sim)
        await cluster.restartApiServer()
        await sim.waitForLog(new RegExp(`^lease: renewed #${before + 1} `), 30000)
        await sleep(GRACE_S * 1000) // long enough for the controller to act on a missed renewal
        watching = false
        await watcher
        assert.deepEqual([...seen], ["True"])
    })

    test("the board powered off: Unknown after the grace period and tainted unreachable; powered on: Ready, taint gone", async () => {
        await sim.powerOff()
        const offAt = Date.now()
        const unknown = await eventually("Ready=Unknown", (GRACE_S + 20) * 1000, async () => {
            const n = await getNode(cluster, NODE)
            return condition(n, "Ready")?.status === "Unknown" ? n : undefined
        })
        assert.ok(Date.now() - offAt >= (GRACE_S - RENEW_S) * 1000, `Unknown after ${Date.now() - offAt} ms, before the grace period`)
        assert.equal(condition(unknown, "Ready").reason, "NodeStatusUnknown")
        await eventually("unreachable taint", 15000, async () => {
            const taints: any[] = (await getNode(cluster, NODE))?.spec?.taints ?? []
            return taints.some(t => t.key === "node.kubernetes.io/unreachable") ? true : undefined
        })
        await sim.powerOn()
        await eventually("Ready and untainted", 40000, async () => {
            const n = await getNode(cluster, NODE)
            const taints: any[] = n?.spec?.taints ?? []
            return condition(n, "Ready")?.status === "True" && !taints.some(t => t.key.startsWith("node.kubernetes.io/")) ? true : undefined
        })
    })

    test("the token never appears in a log line", () => {
        const secret = cluster.token.split(".")[1]
        for (const line of sim.logs) assert.ok(!line.includes(secret), line)
    })
})
