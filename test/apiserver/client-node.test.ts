// A real client library, over HTTPS with the generated CA and kubeconfig.
import assert from "node:assert/strict"
import { describe, test } from "node:test"
import * as k8s from "@kubernetes/client-node"
import { leaseBody, micro, nodeBody, useEmulator } from "./harness"

describe("@kubernetes/client-node against the emulator over HTTPS", () => {
    const ctx = useEmulator({ tls: true })
    const clients = () => {
        const kc = new k8s.KubeConfig()
        kc.loadFromFile(ctx.server.kubeconfigFile)
        return { core: kc.makeApiClient(k8s.CoreV1Api), coord: kc.makeApiClient(k8s.CoordinationV1Api) }
    }
    const patchAs = (type: string) => k8s.setHeaderOptions("Content-Type", type)

    test("the kubeconfig points at https://localhost with the CA file", () => {
        assert.match(ctx.server.url, /^https:\/\/localhost:\d+$/)
        const kc = new k8s.KubeConfig()
        kc.loadFromFile(ctx.server.kubeconfigFile)
        assert.equal(kc.getCurrentCluster()?.server, ctx.server.url)
        assert.equal(kc.getCurrentCluster()?.caFile, ctx.server.caFile)
    })

    test("node: create, read, patch, status patch", async () => {
        const { core } = clients()
        const created = await core.createNode({ body: nodeBody("kc1") as k8s.V1Node })
        assert.ok(created.metadata?.uid)
        const read = await core.readNode({ name: "kc1" })
        assert.equal(read.status?.nodeInfo?.kubeletVersion, "v1.31.1-picokubelet")
        const patched = await core.patchNode(
            { name: "kc1", body: { metadata: { labels: { "node-role.kubernetes.io/edge": "" } } } },
            patchAs(k8s.PatchStrategy.MergePatch)
        )
        assert.equal(patched.metadata?.labels?.["node-role.kubernetes.io/edge"], "")
        const status = await core.patchNodeStatus(
            { name: "kc1", body: { status: { conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", message: "ok" }] } } },
            patchAs(k8s.PatchStrategy.StrategicMergePatch)
        )
        assert.equal(status.status?.conditions?.find(c => c.type === "Ready")?.status, "True")
        assert.equal(created.metadata?.uid, status.metadata?.uid)
    })

    test("lease: create, read, replace", async () => {
        const { core, coord } = clients()
        const node = await core.readNode({ name: "kc1" })
        const lease = await coord.createNamespacedLease({
            namespace: "kube-node-lease",
            body: leaseBody("kc1", micro(0), node.metadata?.uid) as k8s.V1Lease,
        })
        assert.equal(lease.spec?.holderIdentity, "kc1")
        const read = await coord.readNamespacedLease({ name: "kc1", namespace: "kube-node-lease" })
        const renewed = Date.parse(String(read.spec?.renewTime)) + 10_000
        // a plain Date goes out with three fractional digits: a MicroTime needs six
        read.spec!.renewTime = new Date(renewed)
        await assert.rejects(coord.replaceNamespacedLease({ name: "kc1", namespace: "kube-node-lease", body: read }), (e: any) => e.code === 400)
        read.spec!.renewTime = new k8s.V1MicroTime(renewed)
        const replaced = await coord.replaceNamespacedLease({ name: "kc1", namespace: "kube-node-lease", body: read })
        assert.notEqual(replaced.metadata?.resourceVersion, lease.metadata?.resourceVersion)
        assert.equal(ctx.server.store.getLease("kube-node-lease", "kc1")?.spec.renewTime, micro(10_000))
    })

    test("pods: list by field selector decodes", async () => {
        const { core } = clients()
        await core.createNamespacedPod({
            namespace: "default",
            body: { metadata: { name: "kp" }, spec: { nodeName: "kc1", containers: [{ name: "c", image: "busybox:1.36" }] } },
        })
        const list = await core.listPodForAllNamespaces({ fieldSelector: "spec.nodeName=kc1" })
        assert.deepEqual(list.items.map(p => p.metadata?.name), ["kp"])
        assert.equal(list.items[0].spec?.containers[0].imagePullPolicy, "IfNotPresent")
        const none = await core.listPodForAllNamespaces({ fieldSelector: "spec.nodeName=other" })
        assert.equal(none.items.length, 0)
    })

    test("the request log counts TLS bytes on the socket, above the HTTP bytes", () => {
        const { log } = ctx.server
        assert.ok(log.handshakes >= 1 && log.connections >= log.handshakes)
        const entries = log.entries.filter(e => e.status === 200)
        assert.ok(entries.length > 0)
        for (const e of entries) {
            assert.ok(e.bytesOut > e.httpBytesOut, `wire ${e.bytesOut} > http ${e.httpBytesOut}`)
            assert.ok(e.bytesIn >= e.httpBytesIn, `wire ${e.bytesIn} >= http ${e.httpBytesIn}`)
        }
        assert.ok(log.bytesOut > entries.reduce((n, e) => n + e.bytesOut, 0), "totals include handshakes")
    })
})
