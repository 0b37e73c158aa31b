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
import { ClientCost, Stream, windowStream } from "./cost"
import { Plan, REAL } from "./plan"
import { healthyConditions, registerNode, repeat, ReplayClient, ReplayServer, ReplaySteps } from "./replay-client"
import { measureWindow } from "./traffic"

export const SEED_NODE = "esp-seed-01"
const LEASE_SECS = 40
const ANNOTATION = { metadata: { annotations: { "node.specht.dev/heap-bytes-free": "40000" } } }
const owns = (e: LogEntry) => e.path.includes(`/${SEED_NODE}`)

export const seedClient = (server: ReplayServer, token: string) => new ReplayClient(server, { token, userAgent: "picokubelet/0.1.0", keepAlive: false })

/** The seed booted on `client` (not measured): its steady state's two requests. */
export async function bootSeed(client: ReplayClient): Promise<ReplaySteps> {
    // register, create the Lease without an owner ("" uid), as the seed did
    await registerNode(client, SEED_NODE, healthyConditions(Date.now()))
    await client.call("POST", LEASES_PATH, leaseBody(SEED_NODE, "", LEASE_SECS, formatMicroTime(Date.now())))
    return {
        async renew() {
            const whole = leaseBody(SEED_NODE, "", LEASE_SECS, formatMicroTime(Date.now()))
            await client.call("PATCH", leasePath(SEED_NODE), whole, MERGE_PATCH)
        },
        async postStatus() {
            const conditions = healthyConditions(Date.now())
            await client.call("PATCH", nodePath(SEED_NODE) + "/status", heartbeatBody(-1, conditions, { digest: "", status: "" }).join(""), STRATEGIC_MERGE_PATCH)
            await client.call("PATCH", nodePath(SEED_NODE), JSON.stringify(ANNOTATION), MERGE_PATCH)
        },
    }
}

export const seedCost = (streams: Stream[]): ClientCost => ({
    key: "seed",
    name: "the seed (replayed)",
    pattern: "new TLS connection per request, ServiceAccount JWT, whole-Lease merge PATCH; status PATCH + annotation PATCH",
    streams,
})

export async function replaySeed(api: ApiServer, plan: Plan): Promise<ClientCost> {
    const seed = await bootSeed(seedClient(api, api.tokens.jwt))
    const renewed = await measureWindow(api, owns, () => repeat(plan.wire.renewals, seed.renew))
    const posted = await measureWindow(api, owns, () => repeat(plan.wire.statusPosts, seed.postStatus))
    return seedCost([
        windowStream("lease renewals", renewed, plan.wire.renewals, REAL.renewalsPerHour),
        windowStream("status posts", posted, plan.wire.statusPosts, REAL.statusPostsPerHour),
    ])
}
