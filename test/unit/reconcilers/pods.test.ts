// The pod fiber one cycle at a time: scripted replies in, requests out.
import { describe, test } from "../harness"
import { expectEqual } from "../matchers"
import { PodReconciler } from "../../../src/reconcilers/pods"
import { DEFAULT_RUN_SECONDS } from "../../../src/pods/facts"
import { Reply, rig, Rig } from "./fakes"
import { container, listItem, listReply, metadataReply, podReply } from "../k8s/proto"

/** 2026-11-20T22:00:00Z */
const EPOCH_2026_11_20_22H = 1795212000

const LIST = "GET /api/v1/pods"
const GET = "GET /api/v1/namespaces/default/pods/web"
const PATCH = "PATCH /api/v1/namespaces/default/pods/web/status"
const DELETE = "DELETE /api/v1/namespaces/default/pods/web"
const EVENT = "POST /api/v1/namespaces/default/events"

interface PodRig extends Rig {
    pods: PodReconciler
}

function podRig(maxPods = 8): PodRig {
    const r = rig()
    const config: any = r.k.config
    config.maxPods = maxPods
    return { k: r.k, timer: r.timer, server: r.server, platform: r.platform, led: r.led, pods: new PodReconciler(r.k) }
}

function listed(...items: Buffer[]): Reply {
    return page("", items)
}

/** One page of a listing in protobuf, as the firmware asks for it; `next` is the continue token, "" on the last page. */
function page(next: string, items: Buffer[]): Reply {
    return { status: 200, body: listReply(next, items) }
}

function item(name: string, rv: string, deleting = false): Buffer {
    return listItem("default", name, "uid-" + name, rv, deleting)
}

/** The Pod in protobuf, as the firmware asks for it; `startTime` in whole seconds of 2026-11-20T22:mm:ss. */
function pod(name: string, restartPolicy: string, phase: string, ready = "", startTime = ""): Reply {
    const conditions = ready ? [["Ready", ready]] : []
    const startSeconds = startTime ? EPOCH_2026_11_20_22H + parseInt(startTime.slice(14, 16)) * 60 + parseInt(startTime.slice(17, 19)) : undefined
    return { status: 200, body: podReply({ name, uid: "uid-" + name, resourceVersion: "5", containers: [container("c", "busybox:1.36")], restartPolicy, phase, conditions, startSeconds }) }
}

/** The reply to a pod status PATCH: the pod's metadata in protobuf, as the firmware asks for it. */
function patched(rv: string): Reply {
    return { status: 200, body: metadataReply("web", [], "uid-web", rv) }
}

const CREATED: Reply = { status: 201 }

async function cycle(r: PodRig, replies: Reply[]) {
    r.server.requests = []
    r.server.replies = replies
    await r.pods.cycle()
}

function body(r: PodRig, i: number): any {
    return JSON.parse(r.server.requests[i].body)
}

describe("pod reconciler", () => {
    test("a new pod: listed as metadata, read, reported Running, its events posted", async () => {
        const r = podRig()
        await cycle(r, [listed(item("web", "5")), pod("web", "Always", "Pending"), patched("6"), CREATED, CREATED, CREATED])
        expectEqual(r.server.calls(), [LIST, GET, PATCH, EVENT, EVENT, EVENT])
        expectEqual(r.server.requests[0].path.indexOf("status.phase%21%3DSucceeded") > 0, true)
        const status = body(r, 2).status
        expectEqual([status.phase, status.startTime, status.podIP, status.containerStatuses[0].state], [
            "Running",
            "2026-11-20T22:37:15Z",
            "192.168.0.111",
            { running: { startedAt: "2026-11-20T22:37:15Z" } },
        ])
        expectEqual([3, 4, 5].map(i => body(r, i).reason), ["Pulled", "Created", "Started"])
        // our own write is not news: the next listing at rv 6 asks for nothing
        await cycle(r, [listed(item("web", "6"))])
        expectEqual(r.server.calls(), [LIST])
    })
    test("a Job's pod completes after its pretend run time", async () => {
        const r = podRig()
        await cycle(r, [listed(item("web", "5")), pod("web", "Never", "Pending"), patched("6"), CREATED, CREATED, CREATED])
        r.timer.ms += DEFAULT_RUN_SECONDS * 1000 - 1
        await cycle(r, [listed(item("web", "6"))])
        expectEqual(r.server.calls(), [LIST])
        r.timer.ms += 1
        await cycle(r, [listed(item("web", "6")), pod("web", "Never", "Running", "True", "2026-11-20T22:37:15Z"), patched("7")])
        expectEqual(r.server.calls(), [LIST, GET, PATCH])
        const status = body(r, 2).status
        expectEqual([status.phase, status.containerStatuses[0].state.terminated.exitCode, status.containerStatuses[0].state.terminated.startedAt], [
            "Succeeded",
            0,
            "2026-11-20T22:37:15Z",
        ])
        // it drops out of the listing (Succeeded): forgotten without a word
        await cycle(r, [listed()])
        expectEqual([r.server.calls(), r.pods.book.running()], [[LIST], 0])
    })
    test("deletion: reported terminated, Killing, deleted with grace 0 and the uid", async () => {
        const r = podRig()
        await cycle(r, [listed(item("web", "5")), pod("web", "Always", "Pending"), patched("6"), CREATED, CREATED, CREATED])
        await cycle(r, [listed(item("web", "7", true)), pod("web", "Always", "Running", "True"), patched("8"), CREATED, { status: 200 }])
        expectEqual(r.server.calls(), [LIST, GET, PATCH, EVENT, DELETE])
        expectEqual([body(r, 2).status.phase, body(r, 3).reason, body(r, 4)], [
            undefined,
            "Killing",
            { kind: "DeleteOptions", apiVersion: "v1", gracePeriodSeconds: 0, preconditions: { uid: "uid-web" } },
        ])
        expectEqual(r.pods.book.running(), 0)
    })
    test("a pod already gone when deleted (404) is done", async () => {
        const r = podRig()
        await cycle(r, [listed(item("web", "5", true)), { status: 404 }])
        expectEqual([r.server.calls(), r.pods.book.tracked.length], [[LIST, DELETE], 0])
    })
    test("beyond MAX_PODS: OutOfpods, with a Warning event", async () => {
        const r = podRig(0)
        await cycle(r, [listed(item("web", "5")), patched("6"), CREATED])
        expectEqual(r.server.calls(), [LIST, PATCH, EVENT])
        expectEqual([body(r, 1).status.reason, body(r, 1).status.phase, body(r, 2).type], ["OutOfpods", "Failed", "Warning"])
    })
    test("a refused status PATCH (422) is tried once more on the next listing, then left alone", async () => {
        const r = podRig()
        const refused: Reply = { status: 422, body: '{"kind":"Status","reason":"Invalid","message":"field is immutable"}' }
        await cycle(r, [listed(item("web", "5")), pod("web", "Always", "Pending"), refused])
        expectEqual(r.server.calls(), [LIST, GET, PATCH])
        await cycle(r, [listed(item("web", "5")), pod("web", "Always", "Pending"), refused])
        expectEqual(r.server.calls(), [LIST, GET, PATCH])
        await cycle(r, [listed(item("web", "5"))])
        expectEqual(r.server.calls(), [LIST])
    })
    test("after an outage the node controller marked the pod not Ready: reported Running again, same start, no events", async () => {
        const r = podRig()
        await cycle(r, [listed(item("web", "5")), pod("web", "Always", "Pending"), patched("6"), CREATED, CREATED, CREATED])
        await cycle(r, [listed(item("web", "9")), pod("web", "Always", "Running", "False", "2026-11-20T22:37:15Z"), patched("10")])
        expectEqual(r.server.calls(), [LIST, GET, PATCH])
        expectEqual(body(r, 2).status.startTime, "2026-11-20T22:37:15Z")
        await cycle(r, [listed(item("web", "10"))])
        expectEqual(r.server.calls(), [LIST])
    })
    test("after a reboot a pod already Running and Ready is adopted without a write", async () => {
        const r = podRig()
        await cycle(r, [listed(item("web", "5")), pod("web", "Always", "Running", "True", "2026-11-20T22:30:00Z")])
        expectEqual([r.server.calls(), r.pods.book.running()], [[LIST, GET], 1])
    })
    test("a failed listing forgets nothing; an unreadable one neither", async () => {
        const r = podRig()
        await cycle(r, [listed(item("web", "5")), pod("web", "Always", "Pending"), patched("6"), CREATED, CREATED, CREATED])
        await cycle(r, [{ status: 503 }])
        // cut short, and not protobuf at all
        await cycle(r, [{ status: 200, body: listReply("", [item("x", "1")]).slice(0, 25) }])
        await cycle(r, [{ status: 200, body: '{"items":[{"metadata":{"name":"x"' }])
        expectEqual(r.pods.book.running(), 1)
        await cycle(r, [listed(item("web", "6"))])
        expectEqual(r.server.calls(), [LIST])
    })
    test("a network failure ends the cycle: the next listing retries", async () => {
        const r = podRig()
        await cycle(r, [listed(item("web", "5"), item("web2", "5")), { fail: "ConnectionClosedError: boom" }])
        expectEqual(r.server.calls(), [LIST, GET])
        expectEqual(r.pods.book.tracked.length, 0)
    })
    test("a listing in pages: continue followed, its token percent-encoded, the pods of every page seen", async () => {
        const r = podRig()
        await cycle(r, [
            page("eyJ2Ijoi+/=", [item("web", "5")]),
            page("", [item("web2", "5")]),
            pod("web", "Always", "Running", "True"),
            pod("web2", "Always", "Running", "True"),
        ])
        expectEqual(r.server.calls(), [LIST, LIST, GET, "GET /api/v1/namespaces/default/pods/web2"])
        const paths = r.server.requests.map(q => q.path)
        expectEqual([paths[0].indexOf("&limit=1") > 0, paths[0].indexOf("continue") < 0], [true, true])
        expectEqual(paths[1].slice(paths[1].indexOf("&continue=")), "&continue=eyJ2Ijoi%2B%2F%3D")
        expectEqual(r.pods.book.running(), 2)
    })
    test("a page that fails ends the listing: nothing is forgotten", async () => {
        const r = podRig()
        await cycle(r, [listed(item("web", "5")), pod("web", "Always", "Running", "True")])
        await cycle(r, [page("t", []), { status: 410, body: '{"kind":"Status","reason":"Expired"}' }])
        expectEqual([r.server.calls(), r.pods.book.running()], [[LIST, LIST], 1])
    })
    test("the link is down: no listing at all", async () => {
        const r = podRig()
        r.platform.state.linkUp = false
        await cycle(r, [])
        expectEqual(r.server.calls(), [])
    })
})
