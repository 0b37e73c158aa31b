import assert from "node:assert/strict"
import { execFile, execFileSync } from "node:child_process"
import { promisify } from "node:util"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { after, before, describe, test } from "node:test"
import { ApiServer, startApiServer } from "../../tools/apiserver"
import { Simulator } from "../../tools/simulator"
import { adminRequest, eventually, sleep } from "../harness/admin"
import { nodeCondition, readyAndRenewing } from "../harness/node-state"

// The firmware in the simulator against the emulator, periods shortened by
// settings: renew 2 s, lease 8 s, grace 8 s, status report 60 s (so any
// post seen sooner was caused by something).

const NODE = "esp-sim-01"
const RENEW_S = 2
const GRACE_S = 8

function settings(api: ApiServer, extra: Record<string, string | number> = {}) {
    return {
        K3S_HOST: "localhost",
        K3S_PORT: api.port,
        K3S_TOKEN: api.tokens.bootstrap,
        NODE_NAME: NODE,
        RENEW_SECS: RENEW_S,
        LEASE_SECS: 8,
        STATUS_SECS: 60,
        ...extra,
    }
}

const execFileAsync = promisify(execFile)

/** Debian's or the image's kubectl, when there is one: the real client's view. */
function kubectl(): boolean {
    try {
        execFileSync("kubectl", ["version", "--client"], { stdio: "ignore" })
        return true
    } catch {
        return false
    }
}

const condition = (node: any, type: string) => node?.status?.conditions?.find((c: any) => c.type === type)
const ready = (api: ApiServer) => nodeCondition(api, NODE, "Ready")?.status

/** A board power cycle with a new DHCP address; returns once the Node carries it. */
async function rebootWithAddress(sim: Simulator, api: ApiServer, address: string) {
    await sim.platform!.setAddress(address)
    await sim.restartVm()
    await eventually(`address ${address}`, 30000, () => {
        const a = api.store.getNode(NODE)?.status.addresses
        return a?.length === 2 && a[0].address === address ? a : undefined
    })
}

const renewalNumbers = (sim: Simulator) =>
    sim.logs.map(l => /^lease: renewed #(\d+)/.exec(l)).filter(Boolean).map(m => Number(m![1]))

describe("kubelet against the emulator", () => {
    let api: ApiServer
    let sim: Simulator
    before(async () => {
        // its own data directory: the kubeconfig is per emulator, and npm start may run one too
        api = await startApiServer({ port: 0, quiet: true, gracePeriodSeconds: GRACE_S, dataDir: mkdtempSync(join(tmpdir(), "pk-apiserver-")) })
        sim = await Simulator.start({
            settings: settings(api),
            vmEnv: { NODE_EXTRA_CA_CERTS: api.caFile! },
            platform: { ip: "192.168.0.111", gcFree: 40000 },
        })
    })
    after(async () => {
        await sim?.stop()
        await api?.stop()
    })

    test("registers the node exactly, and it turns Ready", async () => {
        await sim.waitForLog(/^lease: renewed #1 /, 30000)
        const node = await eventually("Ready=True", 15000, () => (ready(api) === "True" ? api.store.getNode(NODE) : undefined))
        assert.deepEqual(node.status.nodeInfo.containerRuntimeVersion, "lies://0.1.0")
        assert.equal(node.status.nodeInfo.kubeletVersion, "v1.31.1-picokubelet")
        assert.equal(node.status.nodeInfo.kubeProxyVersion, "v1.31.1-picokubelet")
        // the version devs stamps from git; a build outside a repository (the harness's scratch project) has none
        assert.match(node.status.nodeInfo.osImage, /^picokubelet (?:v\d+\.\d+\.\d+\S* )?on DeviceScript$/)
        assert.equal(node.status.nodeInfo.operatingSystem, "devicescript")
        assert.equal(node.status.nodeInfo.architecture, "xtensa-lx7")
        // the simulator has no firmware version; a board reports devicescript-2.16.x
        assert.equal(node.status.nodeInfo.kernelVersion, "devicescript-simulator")
        assert.match(node.status.nodeInfo.machineID, /^[0-9a-f]{32}$/)
        assert.match(node.status.nodeInfo.bootID, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
        assert.deepEqual(node.status.capacity, { cpu: "240m", memory: "320Ki", pods: "8" })
        assert.deepEqual(node.status.allocatable, { cpu: "240m", memory: "320Ki", pods: "8" })
        assert.equal(node.metadata.labels["kubernetes.io/arch"], "xtensa-lx7")
        assert.equal(node.metadata.labels["node.kubernetes.io/instance-type"], "esp32-s3-r8")
        assert.equal(node.metadata.labels["kubernetes.io/hostname"], NODE)
        assert.ok(node.spec.taints.some((t: any) => t.key === "picokubelet.dev/no-containers" && t.effect === "NoSchedule"))
        assert.deepEqual(node.status.addresses, [
            { type: "InternalIP", address: "192.168.0.111" },
            { type: "Hostname", address: NODE },
        ])
        assert.equal(node.metadata.annotations["picokubelet.dev/heap-bytes-free"], "40000")
        const lease = api.store.getLease("kube-node-lease", NODE)!
        assert.equal(lease.spec.holderIdentity, NODE)
        assert.equal(lease.spec.leaseDurationSeconds, 8)
        assert.deepEqual(lease.metadata.ownerReferences, [{ apiVersion: "v1", kind: "Node", name: NODE, uid: node.metadata.uid }])
        assert.match(api.getNodesWide(), /esp-sim-01\s+Ready\s+<none>\s+\S+\s+v1\.31\.1-picokubelet\s+192\.168\.0\.111\s+<none>\s+picokubelet (?:v\S+ )?on DeviceScript\s+devicescript-simulator\s+lies:\/\/0\.1\.0/)
    })

    test("kubectl get nodes -o wide reads like the seed's row", { skip: !kubectl() && "no kubectl on this machine" }, async () => {
        // asynchronously: the emulator answering kubectl lives in this process
        const run = async (...args: string[]) =>
            (await execFileAsync("kubectl", args, { env: { ...process.env, KUBECONFIG: api.kubeconfigFile }, timeout: 20000 })).stdout
        const out = await run("get", "nodes", "-o", "wide")
        assert.match(out, /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\s+INTERNAL-IP\s+EXTERNAL-IP\s+OS-IMAGE\s+KERNEL-VERSION\s+CONTAINER-RUNTIME/)
        assert.match(out, /\nesp-sim-01\s+Ready\s+<none>\s+\d+s\s+v1\.31\.1-picokubelet\s+192\.168\.0\.111\s+<none>\s+picokubelet (?:v\S+ )?on DeviceScript\s+devicescript-simulator\s+lies:\/\/0\.1\.0/)
        const described = await run("describe", "node", NODE)
        assert.match(described, /Caffeinated\s+True\s+/)
        assert.match(described, /picokubelet\.dev\/heap-bytes-free: 40000/)
    })

    test("renewTime strictly increases at the configured cadence", async () => {
        await readyAndRenewing(api, sim, NODE)
        const seen: { t: number; renewTime: string }[] = []
        const end = Date.now() + 4 * RENEW_S * 1000 + 500
        while (Date.now() < end) {
            const rt = api.store.getLease("kube-node-lease", NODE)!.spec.renewTime
            if (!seen.length || seen[seen.length - 1].renewTime !== rt) seen.push({ t: Date.now(), renewTime: rt })
            await sleep(100)
        }
        assert.ok(seen.length >= 4, JSON.stringify(seen))
        for (let i = 1; i < seen.length; i++) {
            assert.ok(seen[i].renewTime > seen[i - 1].renewTime, `renewTime went backwards: ${JSON.stringify(seen)}`)
            assert.match(seen[i].renewTime, /\.\d{6}Z$/)
        }
        const gaps = seen.slice(2).map((s, i) => s.t - seen[i + 1].t)
        const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length
        assert.ok(mean > 1500 && mean < 2800, `mean renewal gap ${mean} ms, gaps ${gaps}`)
    })

    test("status: posted on a MemoryPressure flip at once, not in between; transitions move once each way", async () => {
        await readyAndRenewing(api, sim, NODE)
        const statusPosts = () => api.log.entries.filter(e => e.method === "PATCH" && e.path.includes(`/nodes/${NODE}/status`)).length
        const readyBefore = condition(api.store.getNode(NODE), "Ready")
        const quietStart = statusPosts()
        await sleep(3 * RENEW_S * 1000)
        assert.equal(statusPosts(), quietStart, "no status post while nothing changed")
        const flipAt = Date.now()
        ;sim.platform!.setGcFree(10000)
        const pressured = await eventually("MemoryPressure=True", 3 * RENEW_S * 1000, () =>
            condition(api.store.getNode(NODE), "MemoryPressure")?.status === "True" ? api.store.getNode(NODE) : undefined
        )
        assert.ok(Date.now() - flipAt <= 2 * RENEW_S * 1000 + 1500, `flip took ${Date.now() - flipAt} ms`)
        assert.equal(pressured.metadata.annotations["picokubelet.dev/heap-bytes-free"], "10000")
        assert.equal(condition(pressured, "MemoryPressure").reason, "KubeletHasInsufficientMemory")
        const mpTrue = condition(pressured, "MemoryPressure").lastTransitionTime
        assert.equal(condition(pressured, "Ready").lastTransitionTime, readyBefore.lastTransitionTime, "Ready did not flip")
        assert.ok(condition(pressured, "Ready").lastHeartbeatTime >= readyBefore.lastHeartbeatTime)
        await sim.waitForLog("led: Warning", 5000)
        await sleep(1100) // a second in between, so the transition times differ
        ;sim.platform!.setGcFree(40000)
        const relieved = await eventually("MemoryPressure=False", 3 * RENEW_S * 1000, () =>
            condition(api.store.getNode(NODE), "MemoryPressure")?.status === "False" ? api.store.getNode(NODE) : undefined
        )
        assert.notEqual(condition(relieved, "MemoryPressure").lastTransitionTime, mpTrue)
        assert.equal(statusPosts(), quietStart + 2, "exactly one post per flip")
    })

    test("a deleted lease is recreated within one period; a deleted node registers again", async () => {
        await readyAndRenewing(api, sim, NODE)
        assert.equal((await adminRequest(api, "DELETE", `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${NODE}`)).status, 200)
        await eventually("lease recreated", 2 * RENEW_S * 1000 + 1000, () => api.store.getLease("kube-node-lease", NODE))
        const oldUid = api.store.getNode(NODE)!.metadata.uid
        assert.equal((await adminRequest(api, "DELETE", `/api/v1/nodes/${NODE}`)).status, 200)
        const node = await eventually("node registered again", 15000, () => {
            const n = api.store.getNode(NODE)
            return n && n.metadata.uid !== oldUid ? n : undefined
        })
        const lease = await eventually("lease owned by the new node", 10000, () => {
            const l = api.store.getLease("kube-node-lease", NODE)
            return l?.metadata.ownerReferences?.[0]?.uid === node.metadata.uid ? l : undefined
        })
        assert.ok(lease)
        await eventually("Ready again", 10000, () => (ready(api) === "True" ? true : undefined))
    })

    test("faults shorter than the grace period never take the node out of Ready", async () => {
        await readyAndRenewing(api, sim, NODE)
        const transitions = api.readyTransitions(NODE).length
        api.faults.add({ method: "PATCH", path: /\/leases\//, kind: "status", code: 503, count: 3 })
        await sleep(2 * RENEW_S * 1000)
        api.faults.add({ method: "PATCH", path: /\/leases\//, kind: "reset-mid-body", count: 2 })
        await sleep(2 * RENEW_S * 1000)
        api.faults.add({ method: "PATCH", path: /\/leases\//, kind: "delay", ms: 3000, count: 1 })
        await sleep(3 * RENEW_S * 1000)
        const before = Math.max(...renewalNumbers(sim))
        await sim.waitForLog(new RegExp(`^lease: renewed #${before + 1} `), 10000)
        assert.equal(ready(api), "True")
        assert.deepEqual(api.readyTransitions(NODE).slice(transitions), [], "Ready never changed")
    })

    test("the API server down for twice the grace period: Unknown, then Ready within two renew periods", async () => {
        await readyAndRenewing(api, sim, NODE)
        const before = Math.max(...renewalNumbers(sim))
        const outageMs = 2 * GRACE_S * 1000 + 2000
        const downAt = Date.now()
        await api.refuseConnections(outageMs)
        await eventually("Ready=Unknown", outageMs, () => (ready(api) === "Unknown" ? true : undefined))
        await sleep(downAt + outageMs - Date.now())
        assert.equal(ready(api), "Unknown")
        const backAt = Date.now()
        await eventually("Ready again", 4 * RENEW_S * 1000, () => (ready(api) === "True" ? true : undefined))
        const took = Date.now() - backAt
        assert.ok(took <= 2 * RENEW_S * 1000 + 1500, `Ready after ${took} ms`)
        const after = renewalNumbers(sim)
        const firstAfter = after.find(n => n > before)!
        assert.equal(firstAfter, before + 1, `renewal counter unbroken: ${before} then ${firstAfter}`)
        assert.ok(sim.logs.some(l => l.startsWith("led: Disconnected")))
    })

    test("a refused credential: Warning, back-off, and recovery on its own", async () => {
        await readyAndRenewing(api, sim, NODE)
        const leaseCalls = () => api.log.entries.filter(e => e.method === "PATCH" && e.path.includes("/leases/")).length
        const start = leaseCalls()
        const mark = sim.logs.length
        api.faults.add({ method: "PATCH", path: /\/leases\//, kind: "status", code: 401, count: 4 })
        await sim.waitForLog(/^lease: credential refused \(401 Unauthorized/, 10000, mark)
        await sim.waitForLog("led: Warning", 5000, mark)
        // four refusals under back-off (2, 4, 8 s ...) take far longer than four periods
        await sim.waitForLog(/^lease: renewed #/, 40000, sim.logs.findIndex((l, i) => i >= mark && l.startsWith("lease: credential refused")))
        await sim.waitForLog("led: Healthy", 5000, mark)
        const calls = leaseCalls() - start
        assert.ok(calls <= 6, `${calls} lease calls: no hammering`)
    })

    test("a new address after a reboot replaces the old one (the 409 path)", async () => {
        await readyAndRenewing(api, sim, NODE)
        const rebootedAt = sim.logs.length
        try {
            await rebootWithAddress(sim, api, "192.168.0.112")
            // the emulator stores the address before its reply reaches the VM and the VM logs it
            await sim.waitForLog(/^kubelet: node esp-sim-01 existed/, 10000, rebootedAt)
        } finally {
            // the other tests expect the board's first address
            await rebootWithAddress(sim, api, "192.168.0.111")
        }
    })

    test("the token never appears in a log line", () => {
        const secret = api.tokens.bootstrap
        for (const line of sim.logs) assert.ok(!line.includes(secret) && !line.includes(secret.slice(7)), line)
    })
})
