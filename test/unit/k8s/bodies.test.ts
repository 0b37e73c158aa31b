import { describe, expect, test } from "../harness"
import { expectEqual } from "../matchers"
import { findJsonString } from "../../../src/k8s/api"
import {
    heartbeatBody,
    heartbeatDiffBody,
    leaseBody,
    leaseOwnerBody,
    NodeIdentity,
    reconcileStatusBody,
    registrationBody,
    renewBody,
} from "../../../src/k8s/bodies"
import { leasePath } from "../../../src/k8s/paths"

function identity(): NodeIdentity {
    return {
        name: "esp-node-01",
        internalIP: "192.168.0.111",
        machineID: "0123456789abcdef0123456789abcdef",
        systemUUID: "01234567-89ab-cdef-0123-456789abcdef",
        bootID: "b0000000-0000-4000-8000-000000000001",
        kernelVersion: "devicescript-2.16.4",
        maxPods: 1,
        taintKey: "picokubelet.dev/no-containers",
        firmwareVersion: "v0.2.0",
    }
}

const LABELS = {
    "kubernetes.io/hostname": "esp-node-01",
    "kubernetes.io/os": "devicescript",
    "kubernetes.io/arch": "xtensa-lx7",
    "node.kubernetes.io/instance-type": "esp32-s3-r8",
    "picokubelet.dev/board": "waveshare-esp32-s3-eth",
    "picokubelet.dev/runtime": "lies",
}
const RESOURCES = { cpu: "240m", memory: "320Ki", pods: "1" }
const NODE_INFO = {
    machineID: "0123456789abcdef0123456789abcdef",
    systemUUID: "01234567-89ab-cdef-0123-456789abcdef",
    bootID: "b0000000-0000-4000-8000-000000000001",
    kernelVersion: "devicescript-2.16.4",
    osImage: "picokubelet v0.2.0 on DeviceScript",
    containerRuntimeVersion: "lies://0.1.0",
    kubeletVersion: "v1.31.1-picokubelet",
    kubeProxyVersion: "v1.31.1-picokubelet",
    operatingSystem: "devicescript",
    architecture: "xtensa-lx7",
}
const ADDRESSES = [
    { type: "InternalIP", address: "192.168.0.111" },
    { type: "Hostname", address: "esp-node-01" },
]
const COND = [{ type: "Ready", status: "True" }]

/** A body in pieces, parsed whole. */
function joined(pieces: string[]): any {
    return JSON.parse(pieces.join(""))
}

describe("bodies: node bodies", () => {
    test("registration carries the whole node", () => {
        expectEqual(joined(registrationBody(identity(), COND)), {
            apiVersion: "v1",
            kind: "Node",
            metadata: { name: "esp-node-01", labels: LABELS },
            spec: { taints: [{ key: "picokubelet.dev/no-containers", value: "true", effect: "NoSchedule" }] },
            status: {
                capacity: RESOURCES,
                allocatable: RESOURCES,
                nodeInfo: NODE_INFO,
                addresses: ADDRESSES,
                daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
                conditions: COND,
            },
        })
    })
    test("the taint can be turned off, and pods follow the setting", () => {
        const id = identity()
        id.taintKey = ""
        id.maxPods = 3
        const body = joined(registrationBody(id, COND))
        expectEqual(body.spec, {})
        expectEqual(body.status.capacity.pods, "3")
    })
    test("reconcile after a reboot replaces the addresses", () => {
        expectEqual(joined(reconcileStatusBody(identity(), COND)), {
            metadata: { labels: LABELS },
            status: {
                capacity: RESOURCES,
                allocatable: RESOURCES,
                nodeInfo: NODE_INFO,
                addresses: [{ $patch: "replace" }, ADDRESSES[0], ADDRESSES[1]],
                conditions: COND,
            },
        })
    })
    test("heartbeat: conditions and the heap annotation in one body", () => {
        const none = { digest: "", status: "" }
        expectEqual(joined(heartbeatBody(41234, COND, none)), {
            metadata: { annotations: { "picokubelet.dev/heap-bytes-free": "41234" } },
            status: { conditions: COND },
        })
        expectEqual(joined(heartbeatBody(-1, COND, none)), { status: { conditions: COND } })
    })
    test("bodies with conditions come in pieces, a member or a condition each, never the whole in one string", () => {
        const three = [
            { type: "Ready", status: "True", message: "kubelet is posting ready status" },
            { type: "MemoryPressure", status: "False" },
            { type: "Vibes", status: "True" },
        ]
        const pieces = heartbeatBody(41234, three, { digest: "", status: "" })
        expectEqual(pieces, [
            '{"metadata":{"annotations":{"picokubelet.dev/heap-bytes-free":"41234"}}',
            ',"status":',
            '{"conditions":[',
            '{"type":"Ready","status":"True","message":"kubelet is posting ready status"}',
            ',{"type":"MemoryPressure","status":"False"}',
            ',{"type":"Vibes","status":"True"}',
            "]}}",
        ])
        expectEqual(joined(pieces).status.conditions, three)
        // the Node: over 1 KB, no piece over 512 B (a write group)
        const node = registrationBody(identity(), three)
        expect(node.join("").length > 1024).toBe(true)
        node.forEach(p => expect(p.length <= 512).toBe(true))
        expectEqual(joined(node).status.conditions, three)
        // a heartbeat with no annotation changed: status alone, the order first
        const diff = heartbeatDiffBody({}, [{ type: "Ready", lastHeartbeatTime: "t" }])
        expectEqual(diff.join(""), '{"status":{"$setElementOrder/conditions":[{"type":"Ready"}],"conditions":[{"type":"Ready","lastHeartbeatTime":"t"}]}}')
    })
    test("heartbeat: the firmware's digest and status; null removes a digest no longer known", () => {
        const digest = "sha256:9806be9df50f9a4a833657975be2cf842a7959432ea5d4e81d2c0d3e44c2b932"
        expectEqual(joined(heartbeatBody(-1, COND, { digest, status: "pulling 25%" })).metadata.annotations, {
            "picokubelet.dev/firmware-digest": digest,
            "picokubelet.dev/firmware-status": "pulling 25%",
        })
        expectEqual(joined(heartbeatBody(-1, COND, { digest: "", status: "running" })).metadata.annotations, {
            "picokubelet.dev/firmware-digest": null,
            "picokubelet.dev/firmware-status": "running",
        })
    })
})

describe("bodies: lease bodies", () => {
    test("lease with owner reference", () => {
        expectEqual(JSON.parse(leaseBody("esp-node-01", "uid-1", 40, "2026-11-20T22:37:15.100000Z")), {
            apiVersion: "coordination.k8s.io/v1",
            kind: "Lease",
            metadata: {
                name: "esp-node-01",
                namespace: "kube-node-lease",
                ownerReferences: [{ apiVersion: "v1", kind: "Node", name: "esp-node-01", uid: "uid-1" }],
            },
            spec: { holderIdentity: "esp-node-01", leaseDurationSeconds: 40, renewTime: "2026-11-20T22:37:15.100000Z" },
        })
    })
    test("adopting an existing lease sets our node as its owner", () => {
        expectEqual(JSON.parse(leaseOwnerBody("esp-node-01", "uid-2")), {
            metadata: { ownerReferences: [{ apiVersion: "v1", kind: "Node", name: "esp-node-01", uid: "uid-2" }] },
        })
    })
    test("renewal is the 52-byte merge patch", () => {
        const body = renewBody("2026-11-20T22:39:29.769000Z")
        expect(body).toBe('{"spec":{"renewTime":"2026-11-20T22:39:29.769000Z"}}')
        expect(body.length).toBe(52)
        expect(leasePath("n1")).toBe("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1")
    })
    test("uid found in a reply prefix", () => {
        const reply =
            '{"kind":"Node","apiVersion":"v1","metadata":{"name":"esp-node-01-fixture","uid":"2c6c3e01-addf-4235-8538-6052ffaac421","resourceVersion":"313"'
        expect(findJsonString(reply, "uid")).toBe("2c6c3e01-addf-4235-8538-6052ffaac421")
        expect(findJsonString(reply, "resourceVersion")).toBe("313")
        expectEqual(findJsonString(reply, "nothing"), undefined)
        expectEqual(findJsonString('{"uid":"unterminated', "uid"), undefined)
    })
    test("findJsonString: an escaped quote does not end a Status message; escapes are decoded", () => {
        // fuzz finding: the message of a 409 ended at its first \" ("nodes \")
        const reply = '{"kind":"Status","message":"nodes \\"esp\\" already exists: a\\\\b \\u003cc\\u003E\\n","reason":"AlreadyExists"}'
        expectEqual(findJsonString(reply, "message"), 'nodes "esp" already exists: a\\b <c>\n')
        expectEqual(findJsonString(reply, "reason"), "AlreadyExists")
        // cut off inside an escape, or an escape JSON does not have: nothing rather than a wrong value
        expectEqual(findJsonString('{"message":"nodes \\', "message"), undefined)
        expectEqual(findJsonString('{"message":"a \\u00', "message"), undefined)
        expectEqual(findJsonString('{"message":"a \\x41"}', "message"), undefined)
    })
})
