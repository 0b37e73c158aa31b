// The seed's steady state, replayed from Node: a new TLS connection per
// request (Connection: close), its ~0.9 KB ServiceAccount JWT on every
// request, the whole Lease as a merge PATCH every 10 s, and every 5 min a
// status PATCH followed by a second PATCH of the heap annotation on the main
// node resource (the seed's reconcilers::status).
import type { ApiServer, LogEntry } from "../tools/apiserver"
import { MERGE_PATCH, STRATEGIC_MERGE_PATCH } from "../src/k8s/api"
import { heartbeatBody, leaseBody } from "../src/k8s/bodies"
import { leasePath, LEASES_PATH, nodePath } from "../src/k8s/paths"
import { formatMicroTime } from "../src/time/rfc3339"
import { ClientCost, windowStream } from "./cost"
import { Plan, REAL } from "./plan"
import { healthyConditions, registerNode, ReplayClient } from "./replay-client"
import { measureWindow } from "./traffic"

const NODE = "esp-seed-01"
const LEASE_SECS = 40
const ANNOTATION = { metadata: { annotations: { "node.specht.dev/heap-bytes-free": "40000" } } }
const owns = (e: LogEntry) => e.path.includes(`/${NODE}`)

export async function replaySeed(api: ApiServer, plan: Plan): Promise<ClientCost> {
    const client = new ReplayClient(api, { token: api.tokens.jwt, userAgent: "picokubelet/0.1.0", keepAlive: false })
    // boot (not measured): register, create the Lease without an owner ("" uid), as the seed did
    await registerNode(client, NODE, healthyConditions(Date.now()))
    await client.call("POST", LEASES_PATH, leaseBody(NODE, "", LEASE_SECS, formatMicroTime(Date.now())))

    const renewed = await measureWindow(api, owns, async () => {
        for (let i = 0; i < plan.wire.renewals; i++) {
            const whole = leaseBody(NODE, "", LEASE_SECS, formatMicroTime(Date.now()))
            await client.call("PATCH", leasePath(NODE), whole, MERGE_PATCH)
        }
    })
    const posted = await measureWindow(api, owns, async () => {
        for (let i = 0; i < plan.wire.statusPosts; i++) {
            const conditions = healthyConditions(Date.now())
            await client.call("PATCH", nodePath(NODE) + "/status", heartbeatBody(-1, conditions, { digest: "", status: "" }), STRATEGIC_MERGE_PATCH)
            await client.call("PATCH", nodePath(NODE), JSON.stringify(ANNOTATION), MERGE_PATCH)
        }
    })

    return {
        key: "seed",
        name: "the seed (replayed)",
        pattern: "new TLS connection per request, ServiceAccount JWT, whole-Lease merge PATCH; status PATCH + annotation PATCH",
        streams: [
            windowStream("lease renewals", renewed, plan.wire.renewals, REAL.renewalsPerHour),
            windowStream("status posts", posted, plan.wire.statusPosts, REAL.statusPostsPerHour),
        ],
    }
}
