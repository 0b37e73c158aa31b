// The status loop one sample at a time: what it posts, when, and what it
// does when the Node is gone. Fake clock, scripted API server.
import { describe, test } from "../harness"
import { expectEqual } from "../matchers"
import { StatusReconciler } from "../../../src/reconcilers/status"
import { CREATE_LEASE, NODE_EVENT, REGISTER, rig, Rig, STATUS } from "./fakes"

interface StatusRig extends Rig {
    status: StatusReconciler
}

/** As after the bootstrap: conditions derived once, so only a change flips one. */
function statusRig(): StatusRig {
    const r = rig()
    r.k.refreshConditions()
    return { k: r.k, timer: r.timer, server: r.server, platform: r.platform, led: r.led, status: new StatusReconciler(r.k) }
}

function posted(r: Rig, i: number): any {
    return JSON.parse(r.server.requests[i].body)
}

function condition(body: any, type: string): any {
    return body.status.conditions.find((c: any) => c.type === type)
}

describe("status reconciler", () => {
    test("nothing changed: no post", async () => {
        const r = statusRig()
        r.timer.ms += 10000
        await r.status.cycle()
        expectEqual(r.server.calls(), [])
    })
    test("the report period passed: one post, then quiet again", async () => {
        const r = statusRig()
        r.timer.ms += r.k.config.statusSeconds * 1000
        await r.status.cycle()
        await r.status.cycle()
        expectEqual(r.server.calls(), [STATUS])
        expectEqual(posted(r, 0).metadata.annotations["picokubelet.dev/heap-bytes-free"], "40000")
    })
    test("a flip: posted at once, one transition, and the LED warns", async () => {
        const r = statusRig()
        r.timer.ms += 10000
        r.platform.state.heapFree = 10000
        await r.status.cycle()
        await r.status.cycle()
        expectEqual(r.server.calls(), [STATUS, NODE_EVENT])
        expectEqual(JSON.parse(r.server.requests[1].body).reason, "NodeHasInsufficientMemory")
        const body = posted(r, 0)
        const pressure = condition(body, "MemoryPressure")
        expectEqual([pressure.status, pressure.reason], ["True", "KubeletHasInsufficientMemory"])
        expectEqual(pressure.lastTransitionTime, "2026-11-20T22:37:25Z")
        expectEqual(condition(body, "Ready").lastTransitionTime, "2026-11-20T22:37:15Z")
        expectEqual(r.led.memoryPressure, true)
    })
    test("after an outage: a requested post goes out at the next sample", async () => {
        const r = statusRig()
        r.status.requestPost("recovered")
        await r.status.cycle()
        await r.status.cycle()
        expectEqual(r.server.calls(), [STATUS])
    })
    test("a failed post stays due and goes out at the next sample", async () => {
        const r = statusRig()
        r.status.requestPost("recovered")
        r.server.replies = [{ status: 503 }]
        await r.status.cycle()
        await r.status.cycle()
        expectEqual(r.server.calls(), [STATUS, STATUS])
    })
    test("404: the Node is registered again, the Lease recreated, the status posted", async () => {
        const r = statusRig()
        r.status.requestPost("recovered")
        r.server.replies = [
            { status: 404 },
            { status: 201, body: '{"kind":"Node","metadata":{"name":"n1","uid":"uid-2"' },
            { status: 201 },
            { status: 200 },
        ]
        await r.status.cycle()
        expectEqual(r.server.calls(), [STATUS, REGISTER, CREATE_LEASE, STATUS])
        expectEqual([r.k.nodeUid, posted(r, 2).metadata.ownerReferences[0].uid], ["uid-2", "uid-2"])
    })
    test("the status reply names the desired firmware; a reply without the annotation clears it", async () => {
        const r = statusRig()
        const ref = "127.0.0.1:5000/fw@sha256:9806be9df50f9a4a833657975be2cf842a7959432ea5d4e81d2c0d3e44c2b932"
        const node = (annotations: string) =>
            // concatenated: DeviceScript reads "}}" in a template literal as one escaped brace
            '{"kind":"Node","metadata":{"name":"n1","annotations":{' + annotations + '},"managedFields":[{"manager":"x"}]},"status":{}}'
        r.server.replies = [{ status: 200, body: node(`"picokubelet.dev/heap-bytes-free":"1","picokubelet.dev/firmware":"${ref}"`) }]
        r.status.requestPost("test")
        await r.status.cycle()
        expectEqual(r.k.desiredFirmware, ref)
        r.server.replies = [{ status: 200, body: node(`"picokubelet.dev/heap-bytes-free":"1"`) }]
        r.status.requestPost("test")
        await r.status.cycle()
        expectEqual(r.k.desiredFirmware, "")
    })
    test("an unreadable status reply leaves the desired firmware as it was", async () => {
        const r = statusRig()
        r.k.desiredFirmware = "kept"
        r.server.replies = [{ status: 200, body: '{"metadata":{"annotations":{"picokubelet.dev/firmware":"x"' }]
        r.status.requestPost("test")
        await r.status.cycle()
        expectEqual(r.k.desiredFirmware, "kept")
    })
})
