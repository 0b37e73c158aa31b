// The status loop one sample at a time: what it posts, when, and what it
// does when the Node is gone. Fake clock, scripted API server.
import { describe, test } from "../harness"
import { expectEqual } from "../matchers"
import { StatusReconciler } from "../../../src/reconcilers/status"
import { PROTOBUF_METADATA } from "../../../src/k8s/api"
import { metadataReply, statusReply } from "../k8s/proto"
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
            { status: 201, body: metadataReply("n1", [], "uid-2") },
            { status: 201 },
            { status: 200 },
        ]
        await r.status.cycle()
        expectEqual(r.server.calls(), [STATUS, REGISTER, CREATE_LEASE, STATUS])
        expectEqual([r.k.nodeUid, posted(r, 2).metadata.ownerReferences[0].uid], ["uid-2", "uid-2"])
    })
    test("the status reply (the Node's metadata in protobuf) names the desired firmware; a reply without the annotation clears it", async () => {
        const r = statusRig()
        const ref = "127.0.0.1:5000/fw@sha256:9806be9df50f9a4a833657975be2cf842a7959432ea5d4e81d2c0d3e44c2b932"
        r.server.replies = [{ status: 200, body: metadataReply("n1", [["picokubelet.dev/firmware", ref], ["picokubelet.dev/heap-bytes-free", "1"]]) }]
        r.status.requestPost("test")
        await r.status.cycle()
        expectEqual(r.server.requests[0].accept, PROTOBUF_METADATA)
        expectEqual(r.k.desiredFirmware, ref)
        r.server.replies = [{ status: 200, body: metadataReply("n1", [["picokubelet.dev/firmware-status", "running"], ["picokubelet.dev/heap-bytes-free", "1"]]) }]
        r.status.requestPost("test")
        await r.status.cycle()
        expectEqual(r.k.desiredFirmware, "")
    })
    test("an unreadable status reply (cut short, or JSON) leaves the desired firmware as it was", async () => {
        const r = statusRig()
        r.k.desiredFirmware = "kept"
        const whole = metadataReply("n1", [["picokubelet.dev/firmware", "x"]])
        r.server.replies = [{ status: 200, body: whole.slice(0, whole.length - 20) }, { status: 200, body: '{"metadata":{"annotations":{"picokubelet.dev/firmware":"x"}}}' }]
        r.status.requestPost("test")
        await r.status.cycle()
        r.status.requestPost("test")
        await r.status.cycle()
        expectEqual(r.k.desiredFirmware, "kept")
    })
    test("a refusal in protobuf is read: its reason and message reach the log line", async () => {
        const r = statusRig()
        r.server.replies = [{ status: 422, body: statusReply(422, "Invalid", "conditions are wrong") }]
        r.status.requestPost("test")
        let thrown = ""
        try {
            await r.k.postStatus("test")
        } catch (e: any) {
            thrown = e.message
        }
        expectEqual(thrown, "post status: 422 Invalid: conditions are wrong")
    })
    test("report period with the last post on the server: a heartbeat of what changed, as client-go sends it", async () => {
        const r = statusRig()
        r.status.requestPost("recovered")
        await r.status.cycle()
        r.timer.ms += r.k.config.statusSeconds * 1000
        await r.status.cycle()
        const whole = posted(r, 0)
        const beat = posted(r, 1)
        expectEqual(whole.status.conditions.length, 9)
        expectEqual(beat.status["$setElementOrder/conditions"], whole.status.conditions.map((c: any) => ({ type: c.type })))
        // the heap figure and the messages that quote changing numbers stayed the same here
        expectEqual(beat.metadata, undefined)
        expectEqual(condition(beat, "Ready"), { type: "Ready", lastHeartbeatTime: "2026-11-20T22:42:15Z" })
        expectEqual(condition(beat, "Caffeinated").type, "Caffeinated")
    })
    test("a heartbeat carries a changed message and a changed annotation; a failed post makes the next one whole", async () => {
        const r = statusRig()
        r.status.requestPost("recovered")
        await r.status.cycle()
        r.platform.state.heapFree = 39000
        r.timer.ms += r.k.config.statusSeconds * 1000
        r.server.replies = [{ status: 503 }]
        await r.status.cycle()
        expectEqual(posted(r, 1).metadata.annotations, { "picokubelet.dev/heap-bytes-free": "39000" })
        expectEqual(condition(posted(r, 1), "MemoryPressure").message.indexOf("39000") >= 0, true)
        expectEqual(condition(posted(r, 1), "Ready").message, undefined)
        // the failed post stays due; the server may or may not have it: whole
        await r.status.cycle()
        expectEqual(condition(posted(r, 2), "Ready").message, "picokubelet is posting ready status")
        expectEqual(posted(r, 2).status["$setElementOrder/conditions"], undefined)
    })
})
