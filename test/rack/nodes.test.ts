import assert from "node:assert/strict"
import { describe, test } from "node:test"
import { nodeCells, nodeStatus, nodeTaints, NOT_REGISTERED } from "../../tools/rack/nodes"

const node = (name: string, ready: string | undefined, taints: { key: string; value?: string; effect: string }[] = [], extra: any = {}) => ({
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, uid: "u-" + name },
    spec: { ...(taints.length ? { taints } : {}), ...extra },
    status: {
        conditions: [
            { type: "MemoryPressure", status: "False" },
            ...(ready ? [{ type: "Ready", status: ready, reason: "KubeletReady" }] : []),
        ],
    },
})

describe("the cluster's view of a board", () => {
    test("STATUS as kube-apiserver's table printer says it", () => {
        assert.equal(nodeStatus(node("a", "True")), "Ready")
        assert.equal(nodeStatus(node("a", "False")), "NotReady")
        assert.equal(nodeStatus(node("a", "Unknown")), "NotReady")
        assert.equal(nodeStatus(node("a", undefined)), "Unknown")
        assert.equal(nodeStatus(node("a", "True", [], { unschedulable: true })), "Ready,SchedulingDisabled")
        assert.equal(nodeStatus(undefined), NOT_REGISTERED)
        assert.equal(NOT_REGISTERED, "(not registered)")
    })

    test("taints in short form, key:effect, sorted", () => {
        const n = node("a", "Unknown", [
            { key: "node.kubernetes.io/unreachable", effect: "NoSchedule" },
            { key: "node.kubernetes.io/unreachable", effect: "NoExecute" },
            { key: "example.com/dedicated", value: "demo", effect: "PreferNoSchedule" },
        ])
        assert.deepEqual(nodeTaints(n), ["example.com/dedicated:PreferNoSchedule", "unreachable:NoExecute", "unreachable:NoSchedule"])
        assert.deepEqual(nodeTaints(node("a", "True")), [])
        assert.deepEqual(nodeTaints(undefined), [])
    })

    test("a NodeList (or its items) -> each board's cells by node name", () => {
        const list = {
            kind: "NodeList",
            items: [node("esp-node-01", "True"), node("esp-node-02", "False", [{ key: "node.kubernetes.io/not-ready", effect: "NoExecute" }])],
        }
        assert.deepEqual(nodeCells(list, "esp-node-01"), { status: "Ready", taints: [] })
        assert.deepEqual(nodeCells(list.items, "esp-node-02"), { status: "NotReady", taints: ["not-ready:NoExecute"] })
        assert.deepEqual(nodeCells(list, "esp-node-03"), { status: NOT_REGISTERED, taints: [] })
        assert.deepEqual(nodeCells(undefined, "esp-node-01"), { status: NOT_REGISTERED, taints: [] })
    })
})
