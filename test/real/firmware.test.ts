import assert from "node:assert/strict"
import { spawn } from "node:child_process"
import { after, before, describe, test } from "node:test"
import { Cluster, startCluster } from "../../tools/cluster"
import { Registry, startRegistry } from "../../tools/registry"
import { Firmware } from "../../tools/registry/firmware"
import { pushFirmware } from "../../tools/registry/push"
import { Simulator } from "../../tools/simulator"
import { REPO } from "../../tools/simulator/project"
import { eventually } from "../harness/admin"
import { buildFirmwareVariant } from "../integration/lib/firmware-variant"
import { condition, getNode, nodeSettings, startBoard } from "./harness"

// Firmware updates as a user runs them: a real control plane, a real OCI
// registry, `npm run rollout` (the CLI itself, as a child process). v2 is a
// release of this firmware with another version; the broken release panics
// at boot and must be rolled back, with the rollout stopping on it. The
// node must stay Ready throughout: the real node controller watches it with
// its default 40 s grace.

const NODE = "esp-ota-real-01"
const IP = "192.168.0.141"

interface Run {
    code: number
    output: string
}

function rollout(cluster: Cluster, ref: string, timeoutS: number): Promise<Run> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ["--import", "tsx", "tools/rollout/main.ts", ref, NODE, "--timeout", String(timeoutS), "--kubeconfig", cluster.kubeconfigFile], {
            cwd: REPO,
            stdio: ["ignore", "pipe", "pipe"],
        })
        let output = ""
        child.stdout.on("data", d => (output += d))
        child.stderr.on("data", d => (output += d))
        child.on("error", reject)
        child.on("exit", code => resolve({ code: code ?? 1, output }))
    })
}

describe("firmware updates on the real control plane", () => {
    let cluster: Cluster
    let registry: Registry
    let board: Simulator
    let v2: Firmware
    let broken: Firmware
    const readySeen: string[] = []
    let watching = true

    const push = async (fw: Firmware, tag: string) => (await pushFirmware(`${registry.host}/picokubelet/firmware:${tag}`, fw)).pinned
    const annotations = async () => (await getNode(cluster, NODE))?.metadata?.annotations ?? {}

    before(async () => {
        cluster = await startCluster({ nodeNames: [NODE], log: () => {} })
        registry = await startRegistry({ log: () => {} })
        ;[v2, broken] = [await buildFirmwareVariant("0.2.0"), await buildFirmwareVariant("0.3.0", "test/integration/firmware/panics-at-boot.ts")]
        board = await startBoard(cluster, nodeSettings(cluster, NODE, { LEASE_SECS: 10, STATUS_SECS: 3 }), IP)
        await eventually("Ready", 60_000, async () => (condition(await getNode(cluster, NODE), "Ready")?.status === "True" ? true : undefined))
        void (async () => {
            while (watching) {
                const s = condition(await getNode(cluster, NODE).catch(() => undefined), "Ready")?.status ?? "absent"
                if (readySeen[readySeen.length - 1] !== s) readySeen.push(s)
                await new Promise(r => setTimeout(r, 1000))
            }
        })()
    })
    after(async () => {
        watching = false
        await board?.stop()
        await registry?.stop()
        await cluster?.stop()
    })

    test("npm run rollout: v2 pulled, verified, installed, reported, Ready throughout", async t => {
        const ref = await push(v2, "v2")
        const bootBefore = (await getNode(cluster, NODE)).status.nodeInfo.bootID
        const run = await rollout(cluster, ref, 300)
        t.diagnostic(run.output.trimEnd())
        assert.equal(run.code, 0, run.output)
        const node = await getNode(cluster, NODE)
        assert.equal(node.metadata.annotations["picokubelet.dev/firmware"], ref)
        assert.equal(node.metadata.annotations["picokubelet.dev/firmware-digest"], ref.slice(ref.indexOf("@") + 1))
        assert.equal(node.metadata.annotations["picokubelet.dev/firmware-status"], "running")
        assert.notEqual(node.status.nodeInfo.bootID, bootBefore)
        assert.equal(node.status.nodeInfo.osImage, "picokubelet v0.2.0 on DeviceScript")
        const wide = await cluster.kubectl.run("get", "node", NODE, "-o", "wide")
        assert.match(wide, /v0\.2\.0/)
        assert.deepEqual(readySeen.filter(s => s !== "True"), [], `Ready went ${readySeen.join(" -> ")}`)
    })

    test("a release that panics at boot: rolled back to v2, a Warning event, the rollout stops and restores the annotation", async t => {
        const v2ref = (await annotations())["picokubelet.dev/firmware"]
        const ref = await push(broken, "broken")
        const run = await rollout(cluster, ref, 300)
        t.diagnostic(run.output.trimEnd())
        assert.equal(run.code, 1, run.output)
        assert.match(run.output, /rolled back/)
        assert.match(run.output, new RegExp(NODE))
        const a = await annotations()
        assert.equal(a["picokubelet.dev/firmware"], v2ref)
        await eventually("v2 running and Ready again", 120_000, async () => {
            const node = await getNode(cluster, NODE)
            return node.status.nodeInfo.osImage === "picokubelet v0.2.0 on DeviceScript" && condition(node, "Ready")?.status === "True" ? true : undefined
        })
        const events = await cluster.kubectl.json("get", "events", "--field-selector", `involvedObject.name=${NODE},reason=FirmwareRolledBack`)
        assert.equal(events.items.length, 1, JSON.stringify(events.items.map((e: any) => e.message)))
        assert.match(events.items[0].message, /panicked 3 times/)
        assert.deepEqual(readySeen.filter(s => s !== "True"), [], `Ready went ${readySeen.join(" -> ")}`)
    })
})
