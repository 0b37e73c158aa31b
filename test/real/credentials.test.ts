import assert from "node:assert/strict"
import { execFileSync } from "node:child_process"
import { after, before, describe, test } from "node:test"
import { Cluster, startCluster } from "../../tools/cluster"
import { Kubectl, KubectlError } from "../../tools/cluster/kubectl"
import { REPO } from "../../tools/simulator/project"
import { Settings, Simulator } from "../../tools/simulator"
import { eventually } from "../harness/admin"
import { condition, getNode, nodeSettings, startBoard } from "./harness"

// What the credentials deploy/ hands out may do on a real server, and what
// the firmware does with each kind of credential.

const NODE = "esp-real-02"
/** A second node with its own identity: what NODE's credentials may not touch. */
const PEER = "esp-real-03"
/** A node nobody has an identity for. */
const OTHER = "esp-real-99"

/** `kubectl auth can-i` as the token's own identity. */
async function can(as: Kubectl, args: string[]): Promise<boolean> {
    try {
        return (await as.run("auth", "can-i", ...args)).trim() === "yes"
    } catch (e) {
        // can-i answers "no" with exit status 1
        if (e instanceof KubectlError && e.code === 1) return false
        throw e
    }
}

// exactly the requests the firmware makes (src/kubelet/steps.ts; pod theater: pods in any namespace)
const NEEDED = [
    ["create", "nodes"],
    ["get", `nodes/${NODE}`],
    ["patch", `nodes/${NODE}`, "--subresource=status"],
    ["create", "leases", "-n", "kube-node-lease"],
    ["patch", `leases/${NODE}`, "-n", "kube-node-lease"],
    ["list", "pods", "-A"],
    ["get", "pods/web", "-n", "default"],
    ["get", "pods/web", "-n", "shop"],
    ["patch", "pods/web", "--subresource=status", "-n", "shop"],
    ["delete", "pods/web", "-n", "shop"],
    ["create", "events", "-n", "default"],
    ["create", "events", "-n", "shop"],
]

const DENIED = [
    ["list", "secrets", "-A"],
    ["get", "secrets", "-n", "kube-system"],
    ["patch", `nodes/${OTHER}`, "--subresource=status"],
    ["get", `nodes/${OTHER}`],
    ["list", "nodes"],
    ["delete", `nodes/${NODE}`],
    ["patch", `nodes/${NODE}`],
    ["update", `nodes/${NODE}`, "--subresource=status"],
    ["get", `nodes/${PEER}`],
    ["patch", `nodes/${PEER}`, "--subresource=status"],
    ["patch", `leases/${OTHER}`, "-n", "kube-node-lease"],
    ["patch", `leases/${PEER}`, "-n", "kube-node-lease"],
    ["delete", `leases/${NODE}`, "-n", "kube-node-lease"],
    ["create", "leases", "-n", "kube-system"],
    ["create", "pods", "-n", "default"],
    ["watch", "pods", "-A"],
    ["update", "pods/web", "-n", "shop"],
    ["patch", "pods/web", "-n", "shop"],
    ["update", "pods/web", "--subresource=status", "-n", "shop"],
    ["deletecollection", "pods", "-n", "shop"],
    ["create", "pods/web", "--subresource=eviction", "-n", "shop"],
    ["create", "pods/web", "--subresource=binding", "-n", "shop"],
    ["create", "pods/web", "--subresource=exec", "-n", "shop"],
    ["get", "pods/web", "--subresource=log", "-n", "shop"],
    ["patch", "events", "-n", "default"],
    ["delete", "events", "-n", "default"],
    ["list", "events", "-A"],
    ["create", "events.events.k8s.io", "-n", "default"],
    ["create", "clusterrolebindings"],
    ["create", "serviceaccounts/token", "-n", "picokubelet"],
    ["approve", "certificatesigningrequests"],
]

describe("credentials against a real control plane", () => {
    let cluster: Cluster
    let sim: Simulator | undefined
    before(async () => {
        cluster = await startCluster({ nodeNames: [NODE, PEER] })
    })
    after(async () => {
        await sim?.stop()
        await cluster?.stop()
    })

    /** One board at a time (fixed devtools ports): whatever an earlier test left running is stopped first. */
    const boot = async (settings: Settings) => {
        await sim?.stop()
        sim = await startBoard(cluster, settings)
        return sim
    }

    for (const [kind, token] of [
        ["bootstrap token", (c: Cluster) => Promise.resolve(c.token)],
        ["ServiceAccount token", (c: Cluster) => c.serviceAccountToken()],
    ] as const)
        test(`least privilege for the ${kind}: what the kubelet needs is allowed, the rest denied`, async () => {
            const as = cluster.kubectl.withToken(cluster.url, cluster.caFile, await token(cluster))
            for (const args of NEEDED) assert.equal(await can(as, args), true, `allowed: ${args.join(" ")}`)
            for (const args of DENIED) assert.equal(await can(as, args), false, `denied: ${args.join(" ")}`)
        })

    test("each node has its own identity: the bootstrap token's group and the ServiceAccount name the node", async () => {
        const whoami = async (token: string) =>
            (await cluster.kubectl.withToken(cluster.url, cluster.caFile, token).json("auth", "whoami")).status.userInfo
        for (const node of [NODE, PEER]) {
            const boot = await whoami(cluster.tokenFor(node))
            assert.match(boot.username, /^system:bootstrap:[a-z0-9]{6}$/)
            assert.ok(boot.groups.includes(`system:bootstrappers:picokubelet:${node}`), boot.groups.join(", "))
            assert.ok(!boot.groups.some((g: string) => g === "system:bootstrappers:picokubelet"), boot.groups.join(", "))
            assert.equal((await whoami(await cluster.serviceAccountToken(node))).username, `system:serviceaccount:picokubelet:${node}`)
        }
        assert.notEqual(cluster.tokenFor(PEER), cluster.token)
        assert.equal(cluster.tokenFor(NODE), cluster.token)
    })

    test("a ServiceAccount token split into K3S_TOKEN_n settings registers and renews", async () => {
        const lines = execFileSync(process.execPath, ["--import", "tsx", "tools/split-token.ts"], {
            cwd: REPO,
            input: await cluster.serviceAccountToken(),
        })
            .toString()
            .trim()
            .split("\n")
        assert.ok(lines.length >= 3, `a JWT takes several settings: ${lines.length}`)
        const parts = Object.fromEntries(lines.map(l => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]))
        const sim = await boot(nodeSettings(cluster, NODE, { K3S_TOKEN: undefined, ...parts }))
        await sim.waitForLog(/^lease: renewed #2 /, 60000)
        await eventually("Ready=True", 20000, async () => (condition(await getNode(cluster, NODE), "Ready")?.status === "True" ? true : undefined))
        const secret = Object.values(parts).join("")
        for (const line of sim.logs) for (const part of Object.values(parts)) assert.ok(!line.includes(part), line)
        assert.ok(secret.length > 600)
    })

    test("a refused token (401): Warning LED and a log line naming the problem; the program keeps running", async () => {
        const sim = await boot(nodeSettings(cluster, NODE, { K3S_TOKEN: "abcdef.0123456789abcdef" }))
        await sim.waitForLog(/^kubelet: credential refused \(401 Unauthorized/, 30000)
        await sim.waitForLog("led: Warning", 10000)
        const mark = sim.logs.length
        await sim.waitForLog(/401/, 20000, mark) // it tries again, under back-off, still alive
        for (const line of sim.logs) assert.ok(!line.includes("0123456789abcdef"), line)
    })
})
