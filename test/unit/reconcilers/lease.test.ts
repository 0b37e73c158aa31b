// The lease loop one cycle at a time, in the style of the upstream lease
// controller's table tests: replies in; requests, waits and outcomes out.
import { describe, test } from "../harness"
import { expectEqual } from "../matchers"
import { LeaseReconciler } from "../../../src/reconcilers/lease"
import { CREATE_LEASE, LEASE, Reply, rig, Rig } from "./fakes"

interface LeaseRig extends Rig {
    lease: LeaseReconciler
    /** Status posts the lease loop asked for, by reason. */
    asked: string[]
}

function leaseRig(): LeaseRig {
    const r = rig()
    const asked: string[] = []
    const lease = new LeaseReconciler(r.k, why => {
        asked.push(why)
    })
    return { k: r.k, timer: r.timer, server: r.server, platform: r.platform, led: r.led, lease, asked }
}

/** Runs one cycle per entry of `waves`, each with its scripted replies; returns the waits. */
async function cycles(r: LeaseRig, waves: Reply[][]): Promise<number[]> {
    const waits: number[] = []
    for (const replies of waves) {
        r.server.replies = replies
        waits.push(await r.lease.cycle())
    }
    return waits
}

const s503: Reply = { status: 503, body: '{"kind":"Status","reason":"ServiceUnavailable"}' }
const timeout: Reply = { fail: "TimeoutError: k3s.lan:6443 PATCH /apis: headers: no complete response within 10000 ms" }

interface FailureCase {
    name: string
    reply: Reply
}

const FAILURES: FailureCase[] = [
    { name: "five 503s", reply: s503 },
    { name: "five timeouts", reply: timeout },
]

describe("lease reconciler", () => {
    test("200: one renewal, Healthy, the next cycle a period later", async () => {
        const r = leaseRig()
        const waits = await cycles(r, [[{ status: 200 }]])
        expectEqual(r.server.calls(), [LEASE])
        expectEqual(JSON.parse(r.server.requests[0].body), { spec: { renewTime: "2026-11-20T22:37:15.500000Z" } })
        expectEqual([waits, r.k.renewals, r.led.healthy, r.server.drops, r.asked], [[10000], 1, true, 0, []])
    })
    test("404: the lease is created again, counted as a renewal, and a status post is asked for", async () => {
        const r = leaseRig()
        await cycles(r, [[{ status: 404 }, { status: 201 }]])
        expectEqual(r.server.calls(), [LEASE, CREATE_LEASE])
        expectEqual(JSON.parse(r.server.requests[1].body).metadata.ownerReferences[0].uid, "uid-1")
        expectEqual([r.k.renewals, r.asked], [1, ["lease was gone"]])
    })
    test("401 and 403: refused, backing off to 6 periods, then recovering on its own", async () => {
        const r = leaseRig()
        const refused = [401, 403, 401, 401, 401].map(status => [{ status }])
        const waits = await cycles(r, refused)
        expectEqual(waits, [10000, 20000, 40000, 60000, 60000])
        expectEqual([r.server.calls().length, r.led.credentialRefused, r.k.renewals], [5, true, 0])
        const after = await cycles(r, [[{ status: 200 }]])
        expectEqual([after, r.led.credentialRefused, r.k.renewals, r.asked], [[10000], false, 1, ["recovered"]])
    })
    FAILURES.forEach(c => {
        test(`${c.name}: quick retries with back-off, then the connection is dropped`, async () => {
            const r = leaseRig()
            const waits = await cycles(r, [[c.reply, c.reply, c.reply, c.reply, c.reply]])
            expectEqual(r.server.calls(), [LEASE, LEASE, LEASE, LEASE, LEASE])
            expectEqual(r.timer.sleeps, [100, 200, 400, 800, 0])
            expectEqual([waits, r.server.drops, r.k.renewals], [[10000], 1, 0])
            await cycles(r, [[{ status: 200 }]])
            expectEqual([r.k.renewals, r.asked], [1, ["recovered"]])
        })
    })
    test("link down: renewals pause, the connection is dropped once, they resume with the link", async () => {
        const r = leaseRig()
        r.platform.state.linkUp = false
        const waits = await cycles(r, [[], [], []])
        expectEqual([waits, r.server.calls(), r.server.drops], [[500, 500, 500], [], 1])
        r.platform.state.linkUp = true
        await cycles(r, [[{ status: 200 }]])
        expectEqual([r.server.calls(), r.k.renewals, r.asked], [[LEASE], 1, ["recovered"]])
    })
    test("renewTime strictly increases across a clock re-anchored backwards", async () => {
        const r = leaseRig()
        await cycles(r, [[{ status: 200 }]])
        r.k.clock.anchor(r.k.clock.now() - 60000)
        await cycles(r, [[{ status: 200 }]])
        const times = r.server.requests.map(q => {
            const body: any = JSON.parse(q.body)
            return body.spec.renewTime
        })
        expectEqual(times, ["2026-11-20T22:37:15.500000Z", "2026-11-20T22:37:15.501000Z"])
    })
})
