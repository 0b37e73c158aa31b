import assert from "node:assert/strict"
import { describe, test } from "node:test"
import { jsonPatch, mergePatch, PatchError, strategicMergePatch, type Json } from "../../tools/apiserver/patch"

const conditions: Json[] = [
    { type: "MemoryPressure", status: "False", reason: "KubeletHasSufficientMemory" },
    { type: "Ready", status: "False", reason: "KubeletNotReady", lastHeartbeatTime: "t0" },
]

describe("merge patch (RFC 7386)", () => {
    test("objects merge, null deletes, lists are replaced whole", () => {
        const target = { spec: { a: 1, b: 2 }, status: { conditions } }
        const out = mergePatch(target, { spec: { b: null, c: 3 }, status: { conditions: [{ type: "Ready", status: "True" }] } })
        assert.deepEqual(out, { spec: { a: 1, c: 3 }, status: { conditions: [{ type: "Ready", status: "True" }] } })
    })
})

describe("strategic merge patch", () => {
    test("conditions merge by type: only the patched condition changes, others stay", () => {
        const out: any = strategicMergePatch(
            { status: { conditions } },
            { status: { conditions: [{ type: "Ready", status: "True", reason: "KubeletReady" }] } }
        )
        assert.equal(out.status.conditions.length, 2)
        assert.deepEqual(out.status.conditions[0], conditions[0])
        assert.deepEqual(out.status.conditions[1], { type: "Ready", status: "True", reason: "KubeletReady", lastHeartbeatTime: "t0" })
    })

    test("a new condition type is appended", () => {
        const out: any = strategicMergePatch({ status: { conditions } }, { status: { conditions: [{ type: "Vibes", status: "True" }] } })
        assert.deepEqual(out.status.conditions.map((c: any) => c.type), ["MemoryPressure", "Ready", "Vibes"])
    })

    test("addresses with {$patch: replace} replace the list instead of merging by type", () => {
        const target = { status: { addresses: [{ type: "InternalIP", address: "10.0.0.1" }, { type: "Hostname", address: "a" }] } }
        const patch: Json = { status: { addresses: [{ $patch: "replace" }, { type: "InternalIP", address: "10.0.0.2" }] } }
        assert.deepEqual((strategicMergePatch(target, patch) as any).status.addresses, [{ type: "InternalIP", address: "10.0.0.2" }])
        // without the directive, the merge key keeps both entries
        const merged: any = strategicMergePatch(target, { status: { addresses: [{ type: "InternalIP", address: "10.0.0.2" }] } })
        assert.equal(merged.status.addresses.length, 2)
    })

    test("$patch: replace on a map replaces the map", () => {
        const out: any = strategicMergePatch({ metadata: { labels: { a: "1", b: "2" } } }, { metadata: { labels: { $patch: "replace", c: "3" } } })
        assert.deepEqual(out.metadata.labels, { c: "3" })
    })

    test("$patch: delete removes a keyed element; lists without merge key are replaced", () => {
        const out: any = strategicMergePatch(
            { status: { conditions }, spec: { taints: [{ key: "a", effect: "NoSchedule" }] } },
            { status: { conditions: [{ type: "Ready", $patch: "delete" }] }, spec: { taints: [{ key: "b", effect: "NoExecute" }] } }
        )
        assert.deepEqual(out.status.conditions.map((c: any) => c.type), ["MemoryPressure"])
        assert.deepEqual(out.spec.taints, [{ key: "b", effect: "NoExecute" }])
    })

    test("$setElementOrder is tolerated and orders the merged list", () => {
        const out: any = strategicMergePatch(
            { status: { conditions } },
            { status: { "$setElementOrder/conditions": [{ type: "Ready" }, { type: "MemoryPressure" }], conditions: [{ type: "Ready", status: "True" }] } }
        )
        assert.deepEqual(out.status.conditions.map((c: any) => c.type), ["Ready", "MemoryPressure"])
        assert.equal(out.status["$setElementOrder/conditions"], undefined)
    })

    test("finalizers merge as a set", () => {
        const out: any = strategicMergePatch({ metadata: { finalizers: ["a"] } }, { metadata: { finalizers: ["b", "a"] } })
        assert.deepEqual(out.metadata.finalizers, ["a", "b"])
    })
})

describe("JSON patch (RFC 6902)", () => {
    const lease = { spec: { holderIdentity: "esp-1", renewTime: "t0", list: [1, 2] } }

    test("test that holds lets the following ops apply", () => {
        const out: any = jsonPatch(lease, [
            { op: "test", path: "/spec/holderIdentity", value: "esp-1" },
            { op: "replace", path: "/spec/renewTime", value: "t1" },
            { op: "add", path: "/spec/list/-", value: 3 },
            { op: "remove", path: "/spec/list/0" },
            { op: "copy", from: "/spec/holderIdentity", path: "/spec/copy" },
            { op: "move", from: "/spec/copy", path: "/spec/moved" },
        ])
        assert.deepEqual(out.spec, { holderIdentity: "esp-1", renewTime: "t1", list: [2, 3], moved: "esp-1" })
        assert.equal(lease.spec.renewTime, "t0", "the target is not modified")
    })

    test("a failing test aborts the whole patch", () => {
        assert.throws(
            () => jsonPatch(lease, [{ op: "test", path: "/spec/holderIdentity", value: "esp-2" }, { op: "replace", path: "/spec/renewTime", value: "t1" }]),
            (e: unknown) => e instanceof PatchError && /testing value \/spec\/holderIdentity failed/.test((e as Error).message)
        )
    })

    test("replacing a missing path fails; ~1 escapes a slash", () => {
        assert.throws(() => jsonPatch(lease, [{ op: "replace", path: "/spec/nope", value: 1 }]), PatchError)
        const out: any = jsonPatch({ metadata: { annotations: {} } }, [{ op: "add", path: "/metadata/annotations/a~1b", value: "x" }])
        assert.deepEqual(out.metadata.annotations, { "a/b": "x" })
    })
})
