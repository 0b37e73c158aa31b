import assert from "node:assert/strict"
import { execFileSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { request } from "node:https"
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

interface Reply {
    status: number
    json: any
}

/** One request as the firmware makes it, with `token` as its bearer. */
function call(cluster: Cluster, token: string, r: { method: string; path: string; body?: unknown; contentType?: string }): Promise<Reply> {
    // framed by Content-Length, as the firmware frames it (node sends a DELETE's body unframed)
    const body = r.body === undefined ? undefined : Buffer.from(JSON.stringify(r.body))
    return new Promise((resolve, reject) => {
        const req = request(
            {
                host: "localhost",
                port: cluster.port,
                method: r.method,
                path: r.path,
                ca: readFileSync(cluster.caFile),
                headers: {
                    Authorization: `Bearer ${token}`,
                    Accept: "application/json",
                    ...(body === undefined ? {} : { "Content-Type": r.contentType ?? "application/json", "Content-Length": body.length }),
                },
            },
            res => {
                let text = ""
                res.on("data", d => (text += d))
                res.on("end", () => {
                    try {
                        resolve({ status: res.statusCode!, json: text ? JSON.parse(text) : undefined })
                    } catch {
                        reject(new Error(`${r.method} ${r.path}: ${res.statusCode}, not JSON: ${text.slice(0, 200)}`))
                    }
                })
            }
        )
        req.on("error", reject)
        req.end(body)
    })
}

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

    for (const [kind, token] of [
        ["bootstrap token", (c: Cluster, node: string) => Promise.resolve(c.tokenFor(node))],
        ["ServiceAccount token", (c: Cluster, node: string) => c.serviceAccountToken(node)],
    ] as const)
        test(`deploy/pod-policy.yaml, ${kind}: a node writes its own pods, Node, Lease and node events, not another node's`, async () => {
            const [mine, theirs] = [await token(cluster, NODE), await token(cluster, PEER)]
            const prefix = kind.startsWith("bootstrap") ? "policy-boot" : "policy-sa"
            // bound by the admin, as the scheduler binds them; the nodes need not exist
            const pod = async (name: string, nodeName: string) =>
                (await cluster.kubectl.exec(["create", "-o", "json", "-f", "-"], {
                    input: JSON.stringify({
                        apiVersion: "v1",
                        kind: "Pod",
                        metadata: { name, namespace: "default" },
                        spec: { nodeName, containers: [{ name: "c", image: "busybox:1.36" }] },
                    }),
                }).then(JSON.parse)).metadata.uid as string
            const ownUid = await pod(`${prefix}-mine`, NODE)
            const peerUid = await pod(`${prefix}-theirs`, PEER)
            const policyRefusal = (r: Reply, policy: string, message: string) => {
                assert.equal(r.status, 403, `${message}: ${r.status} ${r.json?.message}`)
                assert.equal(r.json.reason, "Forbidden")
                const prefix = `ValidatingAdmissionPolicy '${policy}' with binding '${policy}' denied request: `
                assert.ok(r.json.message.endsWith(prefix + message), r.json.message)
            }
            // the firmware's requests, byte for byte in shape
            const statusPatch = (name: string, uid: string) => ({
                method: "PATCH",
                path: `/api/v1/namespaces/default/pods/${name}/status?fieldManager=picokubelet`,
                contentType: "application/strategic-merge-patch+json",
                body: { metadata: { uid }, status: { conditions: [{ type: "PicokubeletTheater", status: "True" }] } },
            })
            const deletion = (name: string, uid: string) => ({
                method: "DELETE",
                path: `/api/v1/namespaces/default/pods/${name}`,
                body: { apiVersion: "v1", kind: "DeleteOptions", gracePeriodSeconds: 0, preconditions: { uid } },
            })

            policyRefusal(
                await call(cluster, mine, statusPatch(`${prefix}-theirs`, peerUid)),
                "picokubelet-own-pods",
                `picokubelet node ${NODE} may not update the status of pod default/${prefix}-theirs: it is bound to node ${PEER}, and a node writes only its own pods`
            )
            policyRefusal(
                await call(cluster, mine, deletion(`${prefix}-theirs`, peerUid)),
                "picokubelet-own-pods",
                `picokubelet node ${NODE} may not delete pod default/${prefix}-theirs: it is bound to node ${PEER}, and a node writes only its own pods`
            )
            assert.equal((await cluster.kubectl.json("-n", "default", "get", "pod", `${prefix}-theirs`)).metadata.uid, peerUid)

            let r = await call(cluster, mine, statusPatch(`${prefix}-mine`, ownUid))
            assert.equal(r.status, 200, r.json?.message)
            assert.ok(r.json.status.conditions.some((c: any) => c.type === "PicokubeletTheater"))
            r = await call(cluster, mine, deletion(`${prefix}-mine`, ownUid))
            assert.equal(r.status, 200, r.json?.message)
            // and the peer, with its own identity, may finish its own
            r = await call(cluster, theirs, deletion(`${prefix}-theirs`, peerUid))
            assert.equal(r.status, 200, r.json?.message)

            // create is not scoped by name in RBAC; the policy scopes it (server dry run: nothing is stored)
            const node = (name: string) => ({ method: "POST", path: "/api/v1/nodes?dryRun=All", body: { apiVersion: "v1", kind: "Node", metadata: { name } } })
            const lease = (name: string) => ({
                method: "POST",
                path: "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases?dryRun=All",
                body: { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name }, spec: { holderIdentity: name } },
            })
            policyRefusal(await call(cluster, mine, node(PEER)), "picokubelet-own-names", `picokubelet node ${NODE} may not create Node ${PEER}: a node creates only its own`)
            policyRefusal(await call(cluster, mine, lease(OTHER)), "picokubelet-own-names", `picokubelet node ${NODE} may not create Lease ${OTHER}: a node creates only its own`)
            assert.ok([201, 409].includes((r = await call(cluster, mine, node(NODE))).status), `own Node: ${r.status} ${r.json?.message}`)
            assert.ok([201, 409].includes((r = await call(cluster, mine, lease(NODE))).status), `own Lease: ${r.status} ${r.json?.message}`)

            // events: one about another Node is refused; about its own Node, or a pod, allowed
            const event = (name: string, involvedObject: object) => ({
                method: "POST",
                path: "/api/v1/namespaces/default/events?dryRun=All",
                body: { apiVersion: "v1", kind: "Event", metadata: { name, namespace: "default" }, involvedObject, reason: "Starting", message: "Starting picokubelet.", type: "Normal" },
            })
            policyRefusal(
                await call(cluster, mine, event(`${PEER}.start`, { kind: "Node", name: PEER })),
                "picokubelet-own-events",
                `picokubelet node ${NODE} may not create event default/${PEER}.start: it is about Node ${PEER}, and a node reports only on itself`
            )
            assert.equal((r = await call(cluster, mine, event(`${NODE}.start`, { kind: "Node", name: NODE, uid: NODE }))).status, 201, r.json?.message)
            assert.equal((r = await call(cluster, mine, event(`${prefix}.started`, { kind: "Pod", namespace: "default", name: `${prefix}-mine` }))).status, 201, r.json?.message)
        })

    test("deploy/pod-policy.yaml's policies type-check against the objects they match", async () => {
        const policies = await eventually("the policies type-checked", 20000, async () => {
            const items: any[] = (await cluster.kubectl.json("get", "validatingadmissionpolicies")).items
            return items.length === 3 && items.every(p => p.status?.observedGeneration === p.metadata.generation) ? items : undefined
        })
        for (const p of policies) assert.deepEqual(p.status.typeChecking, {}, p.metadata.name)
    })

    test("deploy/pod-policy.yaml leaves other identities alone: the admin patches and deletes any pod", async () => {
        const input = JSON.stringify({
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: "policy-admin", namespace: "default" },
            spec: { nodeName: PEER, containers: [{ name: "c", image: "busybox:1.36" }] },
        })
        await cluster.kubectl.exec(["create", "-f", "-"], { input })
        await cluster.kubectl.run("-n", "default", "patch", "pod", "policy-admin", "--subresource=status", "--type=strategic", "-p", '{"status":{"conditions":[{"type":"PicokubeletTheater","status":"True"}]}}')
        await cluster.kubectl.run("-n", "default", "delete", "pod", "policy-admin", "--grace-period=0", "--force", "--wait=false")
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
