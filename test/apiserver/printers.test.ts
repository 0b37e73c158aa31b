import assert from "node:assert/strict"
import { describe, test } from "node:test"
import { request as httpRequest } from "node:http"
import { FakeClock } from "../../tools/apiserver/index"
import { humanDuration, nodesWide, tabwrite } from "../../tools/apiserver/printers"
import { leaseBody, micro, nodeBody, SMP, useEmulator } from "./harness"
import { RECORDING_RBAC } from "./replay"
import { call } from "./wire"

describe("kubectl-style printers", () => {
    test("ages print like kubectl", () => {
        const s = 1000
        assert.deepEqual(
            [5, 119, 293, 600, 179 * 60, 3 * 3600 + 5 * 60, 30 * 3600, 50 * 3600, 400 * 86400, 3 * 365 * 86400].map(x => humanDuration(x * s)),
            ["5s", "119s", "4m53s", "10m", "179m", "3h5m", "30h", "2d2h", "400d", "3y"]
        )
    })

    test("tabwriter pads each column to its widest cell in a run of lines", () => {
        assert.equal(tabwrite("a\tbb\tc\nccc\td\te", 0, 2), "a    bb  c\nccc  d   e")
        assert.equal(tabwrite("NAME\tX\nn\ty", 6, 3), "NAME   X\nn      y")
        assert.equal(tabwrite("A\tX\nn\ty", 6, 3), "A     X\nn     y", "minimum width")
    })

    test("get nodes -o wide: roles, <none> for a missing external IP, status from Ready", () => {
        const now = Date.parse("2026-11-20T22:44:22Z")
        const node: any = nodeBody("esp-1")
        node.metadata.creationTimestamp = "2026-11-20T22:39:29Z"
        node.metadata.labels["node-role.kubernetes.io/edge"] = ""
        node.status.conditions = [{ type: "Ready", status: "False" }]
        const out = nodesWide([node], now)
        assert.equal(
            out,
            "NAME    STATUS     ROLES   AGE     VERSION               INTERNAL-IP     EXTERNAL-IP   OS-IMAGE                      KERNEL-VERSION        CONTAINER-RUNTIME\n" +
                "esp-1   NotReady   edge    4m53s   v1.31.1-picokubelet   192.168.0.111   <none>        picokubelet on DeviceScript   devicescript-2.16.4   lies://0.1.0\n"
        )
    })
})

describe("describe node", () => {
    const clock = new FakeClock()
    // events are posted with the rights pod theater will ask for
    const ctx = useEmulator({ clock, rbacManifests: [RECORDING_RBAC] })

    test("shows labels, taints, lease, conditions, addresses, capacity, system info, events", async () => {
        const boot = ctx.server.tokens.bootstrap
        const node = await call(ctx.conn, "POST", "/api/v1/nodes", boot, nodeBody("esp-2"))
        await call(ctx.conn, "POST", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", boot, leaseBody("esp-2", micro(1500), node.json.metadata.uid))
        const ready = { type: "Ready", status: "True", reason: "KubeletReady", message: "kubelet is posting ready status", lastHeartbeatTime: "2026-11-20T22:39:29Z", lastTransitionTime: "2026-11-20T22:39:29Z" }
        await call(ctx.conn, "PATCH", "/api/v1/nodes/esp-2/status", boot, { status: { conditions: [ready] } }, SMP)
        await call(ctx.conn, "POST", "/api/v1/namespaces/default/events", boot, {
            metadata: { generateName: "esp-2." }, involvedObject: { kind: "Node", name: "esp-2", uid: "esp-2", apiVersion: "v1" }, reason: "Starting",
            message: "Starting picokubelet.", source: { component: "kubelet" }, type: "Normal", count: 1,
            firstTimestamp: "2026-11-20T22:39:29Z", lastTimestamp: "2026-11-20T22:39:29Z",
        })
        // kubectl describe node searches by the uid the kubelet uses, the node's name: not by its real uid
        await call(ctx.conn, "POST", "/api/v1/namespaces/default/events", boot, {
            metadata: { generateName: "esp-2." }, involvedObject: { kind: "Node", name: "esp-2", uid: node.json.metadata.uid }, reason: "RegisteredNode",
            message: "Node esp-2 event: Registered Node esp-2 in Controller", source: { component: "node-controller" }, type: "Normal", count: 1,
            firstTimestamp: "2026-11-20T22:39:29Z", lastTimestamp: "2026-11-20T22:39:29Z",
        })
        // within the grace period: still Ready, and the not-ready taint is gone
        clock.advance(30_000)
        const out = ctx.server.describeNode("esp-2")
        assert.match(out, /^Name: +esp-2\nRoles: +<none>\nLabels: +beta\.kubernetes\.io\/arch=xtensa-lx7\n +beta\.kubernetes\.io\/os=devicescript\n +kubernetes\.io\/arch=xtensa-lx7\n +kubernetes\.io\/hostname=esp-2\n/)
        assert.match(out, /\nAnnotations: +node\.alpha\.kubernetes\.io\/ttl: 0\n/)
        assert.match(out, /\nTaints: +picokubelet\.dev\/no-containers=true:NoSchedule\n/)
        assert.match(out, /\nLease:\n  HolderIdentity: +esp-2\n  AcquireTime: +<unset>\n  RenewTime: +Fri, 20 Nov 2026 22:39:30 \+0000\n/)
        assert.match(out, /\n  Ready +True +Fri, 20 Nov 2026 22:39:29 \+0000 +Fri, 20 Nov 2026 22:39:29 \+0000 +KubeletReady +kubelet is posting ready status\n/)
        assert.match(out, /\nAddresses:\n  InternalIP: +192\.168\.0\.111\n  Hostname: +esp-2\n/)
        assert.match(out, /\nCapacity:\n  cpu: +240m\n  memory: +320Ki\n  pods: +1\n/)
        assert.match(out, /\n  Kubelet Version: +v1\.31\.1-picokubelet\n/)
        assert.match(out, /\nEvents:\n  Type +Reason +Age +From +Message\n  ----.*\n  Normal +Starting +30s +kubelet +Starting picokubelet\.\n$/)
    })
})

describe("server-side printing (kubectl get)", () => {
    const ctx = useEmulator({})
    const KUBECTL_ACCEPT = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"

    function getJson(path: string, accept: string): Promise<any> {
        const url = new URL(ctx.server.url)
        return new Promise((resolve, reject) => {
            // the harness serves plain HTTP
            const req = httpRequest(
                { host: url.hostname, port: url.port, path, headers: { Authorization: `Bearer ${ctx.server.tokens.admin}`, Accept: accept } },
                res => {
                    let body = ""
                    res.on("data", d => (body += d))
                    res.on("end", () => resolve(JSON.parse(body)))
                }
            )
            req.on("error", reject)
            req.end()
        })
    }

    test("nodes come back as a Table with kubectl's columns, wide ones at priority 1", async () => {
        await call(ctx.conn, "POST", "/api/v1/nodes", ctx.server.tokens.bootstrap, nodeBody("esp-3"))
        const table = await getJson("/api/v1/nodes", KUBECTL_ACCEPT)
        assert.equal(table.kind, "Table")
        assert.deepEqual(
            table.columnDefinitions.map((c: any) => `${c.name}/${c.priority}`),
            ["Name/0", "Status/0", "Roles/0", "Age/0", "Version/0", "Internal-IP/1", "External-IP/1", "OS-Image/1", "Kernel-Version/1", "Container-Runtime/1"]
        )
        assert.deepEqual(table.rows[0].cells.slice(0, 3), ["esp-3", "Unknown", "<none>"])
        assert.equal(table.rows[0].object.kind, "PartialObjectMetadata")
        const one = await getJson("/api/v1/nodes/esp-3", KUBECTL_ACCEPT)
        assert.equal(one.rows.length, 1)
        // other resources fall through to kubectl's plain JSON alternative
        const leases = await getJson("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", KUBECTL_ACCEPT)
        assert.equal(leases.kind, "LeaseList")
    })
})
