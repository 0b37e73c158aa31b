// npm run rollout against the kube-apiserver emulator over HTTPS, the test
// playing each node's kubelet: it waits for the annotation, then patches the
// Node's firmware annotations, bootID and Ready as the firmware would.
import assert from "node:assert/strict"
import { spawn } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, test } from "node:test"
import * as k8s from "@kubernetes/client-node"
import { eventually } from "../harness/admin"
import { nodeBody, useEmulator } from "../apiserver/harness"
import { NEW, OLD, OLD_REF, REF, type NodeFacts } from "./fixtures"

const REPO = join(__dirname, "..", "..")

interface Run {
    code: number
    stdout: string
    stderr: string
}

function rolloutCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ["--import", "tsx", "tools/rollout/main.ts", ...args], {
            cwd: REPO,
            env: { ...process.env, KUBECONFIG: "", ...env },
            stdio: ["ignore", "pipe", "pipe"],
        })
        let stdout = ""
        let stderr = ""
        child.stdout.on("data", d => (stdout += d))
        child.stderr.on("data", d => (stderr += d))
        child.on("error", reject)
        child.on("close", code => resolve({ code: code ?? 1, stdout, stderr }))
    })
}

describe("npm run rollout against the emulator", () => {
    const ctx = useEmulator({ tls: true })
    const cli = (...args: string[]) => rolloutCli([...args, "--kubeconfig", ctx.server.kubeconfigFile])
    const core = () => {
        const kc = new k8s.KubeConfig()
        kc.loadFromFile(ctx.server.kubeconfigFile)
        return kc.makeApiClient(k8s.CoreV1Api)
    }
    const mergePatch = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch)
    const annotations = (name: string) => ctx.server.store.getNode(name)?.metadata.annotations ?? {}

    /** What the kubelet reports: annotations, bootID and Ready in one status patch, as it posts them. */
    async function report(name: string, facts: NodeFacts): Promise<void> {
        const a: Record<string, string> = {}
        if (facts.digest !== undefined) a["picokubelet.dev/firmware-digest"] = facts.digest
        if (facts.status !== undefined) a["picokubelet.dev/firmware-status"] = facts.status
        const body: Record<string, unknown> = {
            metadata: { annotations: a },
            status: {
                conditions: [{ type: "Ready", status: facts.ready === false ? "False" : "True", reason: "KubeletReady", message: "ok", lastHeartbeatTime: new Date().toISOString().replace(/\.\d+Z$/, "Z") }],
                ...(facts.boot ? { nodeInfo: { ...((nodeBody(name) as any).status.nodeInfo), bootID: facts.boot, osImage: `picokubelet ${facts.version ?? "0.1.0"} on DeviceScript` } } : {}),
            },
        }
        await core().patchNodeStatus({ name, body }, mergePatch)
    }

    /** A registered node on the old image (or `facts`), optionally annotated and labelled. */
    async function register(name: string, facts: NodeFacts, labels: Record<string, string> = {}): Promise<void> {
        const body = nodeBody(name) as any
        body.metadata.labels = { ...body.metadata.labels, ...labels }
        if (facts.desired) body.metadata.annotations = { "picokubelet.dev/firmware": facts.desired }
        await core().createNode({ body })
        await report(name, { boot: "boot-1", ...facts })
    }

    /**
     * Plays the kubelet: once the node is annotated with REF, reports each step
     * and waits for the rollout to read it (it polls; a real kubelet's steps are seconds apart).
     */
    async function kubelet(name: string, steps: NodeFacts[]): Promise<void> {
        await eventually(`${name} annotated`, 15_000, () => (annotations(name)["picokubelet.dev/firmware"] === REF.text ? true : undefined))
        for (const step of steps) {
            await report(name, step)
            const from = ctx.server.log.entries.length
            const read = () => ctx.server.log.entries.slice(from).some(e => e.method === "GET" && e.path === `/api/v1/nodes/${name}`)
            await eventually(`${name} read after ${JSON.stringify(step)}`, 15_000, () => (read() ? true : undefined))
        }
    }

    const secret = () => [ctx.server.tokens.admin, ctx.server.tokens.bootstrap, ctx.server.tokens.jwt]
    const noTokens = (run: Run) => {
        for (const token of secret()) assert.ok(!(run.stdout + run.stderr).includes(token), "a token was printed")
    }

    test("success: progress lines, the node on the new digest after a new boot, a summary", async () => {
        await register("ok-01", { desired: OLD_REF, digest: OLD, status: "running" })
        const [run] = await Promise.all([
            cli(REF.text, "ok-01"),
            kubelet("ok-01", [
                { status: "pulling 40%" },
                { status: "pulling 100%" },
                { status: "installing" },
                { status: "running", digest: NEW, boot: "boot-2", version: "0.2.0" },
            ]),
        ])
        assert.equal(run.code, 0, run.stdout + run.stderr)
        const progress = run.stdout.split("\n").filter(l => l.startsWith("ok-01: ")).slice(1)
        assert.deepEqual(progress.slice(0, 5), ["ok-01: pulling 40%", "ok-01: pulling 100%", "ok-01: installing", "ok-01: booted (bootID boot-2)", "ok-01: running"])
        assert.match(run.stdout, /^ok-01: Ready on picokubelet 0\.2\.0 on DeviceScript after \d+ s$/m)
        assert.match(run.stdout, /^ok-01\s+updated\s+\d+ s\s+picokubelet 0\.2\.0 on DeviceScript$/m)
        assert.equal(annotations("ok-01")["picokubelet.dev/firmware"], REF.text)
        noTokens(run)
    })

    test("failed: the annotation is removed again (there was none), exit 1", async () => {
        await register("fail-01", { digest: "", status: "running" })
        const [run] = await Promise.all([
            cli(REF.text, "fail-01"),
            kubelet("fail-01", [{ status: "pulling 10%" }, { status: "failed: manifest artifactType is not application/vnd.picokubelet.firmware.v1" }]),
        ])
        assert.equal(run.code, 1)
        assert.match(run.stdout, /^fail-01: update failed: failed: manifest artifactType is not/m)
        assert.match(run.stdout, /^fail-01: picokubelet\.dev\/firmware removed \(there was none\)$/m)
        assert.equal(annotations("fail-01")["picokubelet.dev/firmware"], undefined)
        noTokens(run)
    })

    test("time limit: the previous annotation is restored, exit 1", async () => {
        await register("slow-01", { desired: OLD_REF, digest: OLD, status: "running" })
        const [run] = await Promise.all([cli(REF.text, "slow-01", "--timeout", "2"), kubelet("slow-01", [{ status: "pulling 1%" }])])
        assert.equal(run.code, 1)
        assert.match(run.stdout, /^slow-01: update failed: timed out after 2 s \(firmware-status: pulling 1%\)$/m)
        assert.equal(annotations("slow-01")["picokubelet.dev/firmware"], OLD_REF)
    })

    test("a node already on the digest and Ready is skipped, nothing written", async () => {
        await register("there-01", { desired: REF.text, digest: NEW, status: "running" })
        const from = ctx.server.log.entries.length
        const run = await cli(REF.text, "there-01")
        assert.equal(run.code, 0, run.stdout + run.stderr)
        assert.match(run.stdout, /^there-01\s+skipped\s+-$/m)
        assert.deepEqual(ctx.server.log.entries.slice(from).map(e => e.method), ["GET", "GET"])
    })

    test("two nodes by label: the first rolls back, the second is never touched", async () => {
        await register("pair-01", { desired: OLD_REF, digest: OLD, status: "running" }, { rack: "pair" })
        await register("pair-02", { desired: OLD_REF, digest: OLD, status: "running" }, { rack: "pair" })
        const [run] = await Promise.all([
            cli(REF.text, "-l", "rack=pair"),
            kubelet("pair-01", [{ status: "installing" }, { status: "installing", boot: "boot-2" }, { status: "rolled back: not confirmed within 60 s", boot: "boot-3" }]),
        ])
        assert.equal(run.code, 1)
        assert.match(run.stdout, /^pair-01: update failed: rolled back: not confirmed within 60 s$/m)
        assert.match(run.stdout, /^pair-02\s+not started\s+-$/m)
        assert.equal(annotations("pair-01")["picokubelet.dev/firmware"], OLD_REF)
        assert.equal(annotations("pair-02")["picokubelet.dev/firmware"], OLD_REF)
    })

    test("errors are one line: unknown node, no matching nodes, no kubeconfig, unreachable API", async () => {
        const unknown = await cli(REF.text, "nope")
        assert.deepEqual([unknown.code, unknown.stderr], [1, 'rollout: node "nope" not found\n'])
        const none = await cli(REF.text, "-l", "rack=none")
        assert.deepEqual([none.code, none.stderr], [1, "rollout: no nodes match the label selector rack=none\n"])
        const missing = await rolloutCli([REF.text, "--kubeconfig", "/nonexistent/kubeconfig"])
        assert.deepEqual([missing.code, missing.stderr], [1, "rollout: no kubeconfig at /nonexistent/kubeconfig\n"])
        const byEnv = await rolloutCli([REF.text, "nope"], { KUBECONFIG: ctx.server.kubeconfigFile })
        assert.deepEqual([byEnv.code, byEnv.stderr], [1, 'rollout: node "nope" not found\n'], "$KUBECONFIG is read")
        const dir = mkdtempSync(join(tmpdir(), "rollout-"))
        const unreachable = join(dir, "kubeconfig")
        writeFileSync(unreachable, readFileSync(ctx.server.kubeconfigFile, "utf8").replace(ctx.server.url, "https://localhost:1"))
        const down = await rolloutCli([REF.text, "-l", "rack=none", "--kubeconfig", unreachable])
        rmSync(dir, { recursive: true })
        assert.equal(down.code, 1)
        assert.match(down.stderr, /^rollout: listing nodes: cannot reach the API server at https:\/\/localhost:1: connect ECONNREFUSED [^\n]*\n$/)
        for (const run of [unknown, none, byEnv]) noTokens(run)
    })
})
