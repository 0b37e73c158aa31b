import assert from "node:assert/strict"
import { describe, test } from "node:test"
import { JSONPATCH, leaseBody, leasePath, MERGE, micro, nodeBody, SMP, useEmulator } from "./harness"
import { RECORDING_RBAC } from "./replay"
import { call, header } from "./wire"
import { eventually } from "../harness/admin"

describe("nodes", () => {
    const ctx = useEmulator()
    const boot = () => ctx.server.tokens.bootstrap

    test("create adds the not-ready NoSchedule taint; uid, resourceVersion and managedFields are set", async () => {
        const r = await call(ctx.conn, "POST", "/api/v1/nodes?fieldManager=picokubelet", boot(), nodeBody("n1"))
        assert.equal(r.status, 201)
        const meta = r.json.metadata
        assert.match(meta.uid, /^[0-9a-f-]{36}$/)
        assert.match(meta.resourceVersion, /^\d+$/)
        assert.equal(meta.managedFields[0].manager, "picokubelet")
        assert.deepEqual(r.json.spec.taints.at(-1), { key: "node.kubernetes.io/not-ready", effect: "NoSchedule" })
        // the TTL controller annotates a moment later, not in the reply
        assert.equal(r.json.metadata.annotations?.["node.alpha.kubernetes.io/ttl"], undefined)
        await eventually("the TTL annotation", 2000, () => ctx.server.store.getNode("n1")?.metadata.annotations?.["node.alpha.kubernetes.io/ttl"])
    })

    test("without fieldManager, the manager is the User-Agent up to its first slash", async () => {
        const r = await call(ctx.conn, "PATCH", "/api/v1/nodes/n1/status", boot(), { metadata: { annotations: { x: "1" } } }, SMP)
        assert.equal(r.status, 200)
        assert.ok(r.json.metadata.managedFields.some((m: any) => m.manager === "picokubelet" && m.subresource === "status"))
        assert.equal(r.json.metadata.annotations.x, "1", "metadata sent to /status is stored")
    })

    test("status patch: conditions merge by type, spec is ignored, a no-op keeps the resourceVersion", async () => {
        const ready = { type: "Ready", status: "True", reason: "KubeletReady", message: "ok", lastHeartbeatTime: "2026-11-20T22:39:29Z", lastTransitionTime: "2026-11-20T22:39:29Z" }
        const mem = { ...ready, type: "MemoryPressure", status: "False", reason: "KubeletHasSufficientMemory" }
        await call(ctx.conn, "PATCH", "/api/v1/nodes/n1/status", boot(), { status: { conditions: [mem, ready] } }, SMP)
        const r = await call(ctx.conn, "PATCH", "/api/v1/nodes/n1/status", boot(), { spec: { unschedulable: true }, status: { conditions: [{ type: "Ready", lastHeartbeatTime: "2026-11-20T22:40:29Z" }] } }, SMP)
        assert.equal(r.status, 200)
        assert.deepEqual(r.json.status.conditions.map((c: any) => c.type), ["MemoryPressure", "Ready"])
        assert.equal(r.json.status.conditions[1].status, "True")
        assert.equal(r.json.status.conditions[1].lastHeartbeatTime, "2026-11-20T22:40:29Z")
        assert.equal(r.json.spec.unschedulable, undefined)
        const again = await call(ctx.conn, "PATCH", "/api/v1/nodes/n1/status", boot(), { status: { conditions: [{ type: "Ready", lastHeartbeatTime: "2026-11-20T22:40:29Z" }] } }, SMP)
        assert.equal(again.json.metadata.resourceVersion, r.json.metadata.resourceVersion)
    })

    test("addresses honour $patch: replace", async () => {
        const r = await call(ctx.conn, "PATCH", "/api/v1/nodes/n1/status", boot(), { status: { addresses: [{ $patch: "replace" }, { type: "InternalIP", address: "192.168.0.9" }] } }, SMP)
        assert.deepEqual(r.json.status.addresses, [{ type: "InternalIP", address: "192.168.0.9" }])
    })

    test("RBAC: the kubelet may not delete nodes; the message names user, verb, resource and scope", async () => {
        const r = await call(ctx.conn, "DELETE", "/api/v1/nodes/n1", boot())
        assert.equal(r.status, 403)
        assert.equal(r.json.reason, "Forbidden")
        const id = boot().split(".")[0]
        assert.equal(r.json.message, `nodes "n1" is forbidden: User "system:bootstrap:${id}" cannot delete resource "nodes" in API group "" at the cluster scope`)
        assert.equal(header(r, "x-content-type-options"), "nosniff")
    })

    test("the ServiceAccount JWT (~0.9 KB) authenticates like the bootstrap token; a bad token is 401", async () => {
        assert.ok(ctx.server.tokens.jwt.length > 800 && ctx.server.tokens.jwt.length < 1200, String(ctx.server.tokens.jwt.length))
        assert.equal((await call(ctx.conn, "GET", "/api/v1/nodes/n1", ctx.server.tokens.jwt)).status, 200)
        const bad = await call(ctx.conn, "GET", "/api/v1/nodes/n1", "abcdef.0000000000000000")
        assert.equal(bad.status, 401)
        assert.equal(bad.json.reason, "Unauthorized")
    })

    test("an invalid name is 422 Invalid; a body over 2048 B comes chunked, a small one with Content-Length", async () => {
        const r = await call(ctx.conn, "POST", "/api/v1/nodes", boot(), nodeBody("Bad_Name"))
        assert.equal(r.status, 422)
        assert.equal(r.json.reason, "Invalid")
        assert.equal(r.json.details.causes[0].field, "metadata.name")
        assert.equal(r.framing, "content-length")
        const big = await call(ctx.conn, "GET", "/api/v1/nodes/n1", boot())
        assert.ok(big.body.length > 2048)
        assert.equal(big.framing, "chunked")
        assert.equal(header(big, "content-length"), undefined)
        const small = await call(ctx.conn, "GET", "/version", boot())
        assert.equal(small.framing, "content-length")
        assert.equal(Number(header(small, "content-length")), small.body.length)
    })

    test("unknown content type is 415, an unknown resource 404, POST to a named node 405", async () => {
        const r = await call(ctx.conn, "PATCH", "/api/v1/nodes/n1/status", boot(), "{}", "text/plain")
        assert.equal(r.status, 415)
        assert.equal(r.json.reason, "UnsupportedMediaType")
        const admin = ctx.server.tokens.admin
        assert.equal((await call(ctx.conn, "GET", "/api/v1/widgets", admin)).status, 404)
        assert.equal((await call(ctx.conn, "POST", "/api/v1/nodes/n1", admin, nodeBody("n1"))).status, 405)
    })

    test("discovery lists the served resources", async () => {
        const admin = ctx.server.tokens.admin
        const core = await call(ctx.conn, "GET", "/api/v1", admin)
        assert.ok(core.json.resources.some((r: any) => r.name === "nodes/status"))
        const coord = await call(ctx.conn, "GET", "/apis/coordination.k8s.io/v1", admin)
        assert.deepEqual(coord.json.resources.map((r: any) => r.name), ["leases"])
        assert.equal((await call(ctx.conn, "GET", "/apis", boot())).json.kind, "APIGroupList")
        assert.deepEqual((await call(ctx.conn, "GET", "/api", boot())).json.versions, ["v1"])
    })
})

describe("leases", () => {
    const ctx = useEmulator()
    const boot = () => ctx.server.tokens.bootstrap
    const path = leasePath("n2")

    test("PUT with a stale resourceVersion is 409 Conflict; with the current one it succeeds", async () => {
        const node = await call(ctx.conn, "POST", "/api/v1/nodes", boot(), nodeBody("n2"))
        const created = await call(ctx.conn, "POST", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", boot(), leaseBody("n2", micro(0), node.json.metadata.uid))
        assert.equal(created.status, 201)
        const first = structuredClone(created.json)
        first.spec.renewTime = micro(10_000)
        // an update (PUT) is not among the kubelet's rights: an admin's
        const admin = ctx.server.tokens.admin
        const ok = await call(ctx.conn, "PUT", path, admin, first)
        assert.equal(ok.status, 200)
        assert.notEqual(ok.json.metadata.resourceVersion, created.json.metadata.resourceVersion)
        const stale = structuredClone(created.json)
        stale.spec.renewTime = micro(20_000)
        const r = await call(ctx.conn, "PUT", path, admin, stale)
        assert.equal(r.status, 409)
        assert.equal(r.json.reason, "Conflict")
        assert.match(r.json.message, /^Operation cannot be fulfilled on leases.coordination.k8s.io "n2": the object has been modified/)
    })

    test("merge patch renews; a renewTime without six fractional digits is 422 (chunked, as measured)", async () => {
        const ok = await call(ctx.conn, "PATCH", path, boot(), { spec: { renewTime: micro(30_000) } }, MERGE)
        assert.equal(ok.json.spec.renewTime, micro(30_000))
        const bad = await call(ctx.conn, "PATCH", path, boot(), { spec: { renewTime: "2026-11-20T22:37:15.100Z" } }, MERGE)
        assert.equal(bad.status, 422)
        assert.equal(bad.json.reason, "Invalid")
        assert.match(bad.json.message, /cannot parse ".100Z" as ".000000"/)
        const created = await call(ctx.conn, "POST", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", boot(), leaseBody("n3", "2026-11-20T22:37:15Z"))
        assert.equal(created.status, 400, "a create that cannot be decoded is a bad request")
    })

    test("JSON patch whose test fails is 422 and changes nothing", async () => {
        const before = ctx.server.store.getLease("kube-node-lease", "n2")
        const ops = [{ op: "test", path: "/spec/holderIdentity", value: "someone-else" }, { op: "replace", path: "/spec/renewTime", value: micro(40_000) }]
        const r = await call(ctx.conn, "PATCH", path, boot(), ops, JSONPATCH)
        assert.equal(r.status, 422)
        assert.equal(r.json.reason, "Invalid")
        assert.deepEqual(ctx.server.store.getLease("kube-node-lease", "n2"), before)
        const pass = await call(ctx.conn, "PATCH", path, boot(), [{ ...ops[0], value: "n2" }, ops[1]], JSONPATCH)
        assert.equal(pass.status, 200)
    })

    test("leases outside kube-node-lease are forbidden to the kubelet", async () => {
        const r = await call(ctx.conn, "GET", "/apis/coordination.k8s.io/v1/namespaces/default/leases/n2", boot())
        assert.equal(r.status, 403)
        assert.match(r.json.message, /in the namespace "default"$/)
    })

    test("deleting the node garbage-collects the lease it owns", async () => {
        assert.ok(ctx.server.store.getLease("kube-node-lease", "n2"))
        const r = await call(ctx.conn, "DELETE", "/api/v1/nodes/n2", ctx.server.tokens.admin)
        assert.equal(r.status, 200)
        assert.equal(r.json.status, "Success")
        assert.equal(ctx.server.store.getLease("kube-node-lease", "n2"), undefined)
    })
})

describe("pods and events", () => {
    // the rights pod theater will ask for, beyond deploy/rbac.yaml
    const ctx = useEmulator({ rbacManifests: [RECORDING_RBAC] })
    const boot = () => ctx.server.tokens.bootstrap
    const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "p1" }, spec: { nodeName: "n4", containers: [{ name: "c", image: "busybox:1.36" }] } }
    const podPath = "/api/v1/namespaces/default/pods/p1"

    test("only an admin creates pods; list by field selector, full or metadata only", async () => {
        assert.equal((await call(ctx.conn, "POST", "/api/v1/namespaces/default/pods", boot(), pod)).status, 403)
        const created = await call(ctx.conn, "POST", "/api/v1/namespaces/default/pods", ctx.server.tokens.admin, pod)
        assert.equal(created.status, 201)
        assert.equal(created.json.status.phase, "Pending")
        await call(ctx.conn, "POST", "/api/v1/namespaces/default/pods", ctx.server.tokens.admin, { ...pod, metadata: { name: "elsewhere" }, spec: { ...pod.spec, nodeName: "other" } })
        const list = await call(ctx.conn, "GET", "/api/v1/pods?fieldSelector=spec.nodeName%3Dn4", boot())
        assert.equal(list.json.kind, "PodList")
        assert.deepEqual(list.json.items.map((p: any) => p.metadata.name), ["p1"])
        const meta = await ctx.conn.exchange(
            `GET /api/v1/pods?fieldSelector=spec.nodeName%3Dn4 HTTP/1.1\r\nHost: x\r\nAccept: application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1\r\nAuthorization: Bearer ${boot()}\r\n\r\n`
        )
        const body = JSON.parse(meta.body.toString())
        assert.equal(body.kind, "PartialObjectMetadataList")
        assert.deepEqual(Object.keys(body.items[0]), ["kind", "apiVersion", "metadata"])
    })

    test("pods/status patch with a wrong metadata.uid is 422 field is immutable; with the right one it applies", async () => {
        const uid = ctx.server.store.getPod("default", "p1")?.metadata.uid
        const wrong = await call(ctx.conn, "PATCH", `${podPath}/status`, boot(), { metadata: { uid: "00000000-0000-0000-0000-000000000000" }, status: { phase: "Running" } }, SMP)
        assert.equal(wrong.status, 422)
        assert.match(wrong.json.message, /metadata.uid: Invalid value: "0{8}-0{4}-0{4}-0{4}-0{12}": field is immutable/)
        const right = await call(ctx.conn, "PATCH", `${podPath}/status`, boot(), { metadata: { uid }, status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] } }, SMP)
        assert.equal(right.status, 200)
        assert.equal(right.json.status.phase, "Running")
        assert.equal(right.json.status.conditions[0].lastProbeTime, null)
    })

    test("graceful delete only marks the pod; delete with a wrong uid precondition is 409; grace 0 removes it; again 404", async () => {
        const marked = await call(ctx.conn, "DELETE", podPath, ctx.server.tokens.admin, { kind: "DeleteOptions", apiVersion: "v1", gracePeriodSeconds: 30 })
        assert.equal(marked.status, 200)
        assert.equal(marked.json.kind, "Pod")
        assert.equal(marked.json.metadata.deletionGracePeriodSeconds, 30)
        assert.ok(marked.json.metadata.deletionTimestamp)
        assert.ok(ctx.server.store.getPod("default", "p1"), "still there")
        const wrongUid = await call(ctx.conn, "DELETE", podPath, boot(), { gracePeriodSeconds: 0, preconditions: { uid: "nope" } })
        assert.equal(wrongUid.status, 409)
        assert.match(wrongUid.json.message, /^Operation cannot be fulfilled on Pod "[^"]+": the UID in the precondition \(nope\) does not match the UID in record/)
        const gone = await call(ctx.conn, "DELETE", podPath, boot(), { gracePeriodSeconds: 0, preconditions: { uid: marked.json.metadata.uid } })
        assert.equal(gone.status, 200)
        assert.equal(gone.json.metadata.deletionGracePeriodSeconds, 0)
        assert.equal(ctx.server.store.getPod("default", "p1"), undefined)
        assert.equal((await call(ctx.conn, "DELETE", podPath, boot(), { gracePeriodSeconds: 0 })).status, 404)
    })

    test("events: create and patch", async () => {
        const ev = { apiVersion: "v1", kind: "Event", metadata: { name: "n4.start", namespace: "default" }, involvedObject: { kind: "Node", name: "n4" }, reason: "Starting", message: "Starting picokubelet.", source: { component: "kubelet" }, type: "Normal", count: 1, firstTimestamp: "2026-11-20T22:39:29Z", lastTimestamp: "2026-11-20T22:39:29Z" }
        const created = await call(ctx.conn, "POST", "/api/v1/namespaces/default/events", boot(), ev)
        assert.equal(created.status, 201)
        assert.equal(created.json.eventTime, null)
        const patched = await call(ctx.conn, "PATCH", "/api/v1/namespaces/default/events/n4.start", boot(), { count: 2 }, SMP)
        assert.equal(patched.json.count, 2)
        assert.equal((await call(ctx.conn, "POST", "/api/v1/namespaces/default/events", boot(), ev)).status, 409)
    })
})

describe("health and anonymous access", () => {
    const ctx = useEmulator()

    test("/healthz answers ok as text to anyone; discovery needs authentication", async () => {
        const r = await call(ctx.conn, "GET", "/healthz", undefined)
        assert.equal(r.status, 200)
        assert.equal(r.body.toString(), "ok")
        assert.equal(header(r, "content-type"), "text/plain; charset=utf-8")
        const api = await call(ctx.conn, "GET", "/api", undefined)
        assert.equal(api.status, 403)
        assert.equal(api.json.message, 'forbidden: User "system:anonymous" cannot get path "/api"')
    })
})
