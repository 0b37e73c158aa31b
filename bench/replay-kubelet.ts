// The upstream kubelet's steady state, replayed from Node: one keep-alive
// connection, a PUT of the whole last-returned Lease (resourceVersion
// included, so it can conflict) every 10 s, and every 5 min the
// strategic-merge diff client-go computes when only the heartbeats moved:
// $setElementOrder plus lastHeartbeatTime of the four standard conditions.
import type { ApiServer, LogEntry } from "../tools/apiserver"
import { STRATEGIC_MERGE_PATCH } from "../src/k8s/api"
import { leaseBody } from "../src/k8s/bodies"
import { leasePath, LEASES_PATH, nodePath } from "../src/k8s/paths"
import { formatMicroTime, formatTime } from "../src/time/rfc3339"
import { ClientCost, Stream, windowStream } from "./cost"
import { Plan, REAL } from "./plan"
import { healthyConditions, registerNode, repeat, ReplayClient, ReplayServer, ReplaySteps } from "./replay-client"
import { measureWindow } from "./traffic"

export const KUBELET_NODE = "esp-kube-01"
/** The kubelet's conditions, in the order it reports them. */
const STANDARD = ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"]
const owns = (e: LogEntry) => e.path.includes(`/${KUBELET_NODE}`)

function standardConditions(nowMs: number): any[] {
    const all = healthyConditions(nowMs)
    return STANDARD.map(type => all.find(c => c.type === type))
}

function heartbeatDiff(nowMs: number): string {
    const heartbeat = formatTime(nowMs)
    return JSON.stringify({
        status: {
            "$setElementOrder/conditions": STANDARD.map(type => ({ type })),
            conditions: STANDARD.map(type => ({ lastHeartbeatTime: heartbeat, type })),
        },
    })
}

// a kubelet authenticates with a client certificate, once per connection;
// the 23-byte bootstrap token is the closest per-request cost a token takes
export const kubeletClient = (server: ReplayServer, bootstrapToken: string) =>
    new ReplayClient(server, { token: bootstrapToken, userAgent: "kubelet/v1.31.1 (linux/arm64) kubernetes/948afe5", keepAlive: true })

/** The kubelet booted on `client` (not measured): its steady state's two requests. */
export async function bootKubelet(client: ReplayClient): Promise<ReplaySteps> {
    // register, create the Lease owned by the Node
    const node = await registerNode(client, KUBELET_NODE, standardConditions(Date.now()))
    let lease = await client.call("POST", LEASES_PATH, leaseBody(KUBELET_NODE, node.metadata.uid, 40, formatMicroTime(Date.now())))
    return {
        async renew() {
            lease.spec.renewTime = formatMicroTime(Date.now())
            lease = await client.call("PUT", leasePath(KUBELET_NODE), JSON.stringify(lease))
        },
        async postStatus() {
            await client.call("PATCH", nodePath(KUBELET_NODE) + "/status", heartbeatDiff(Date.now()), STRATEGIC_MERGE_PATCH)
        },
    }
}

export const kubeletCost = (streams: Stream[]): ClientCost => ({
    key: "kubelet",
    name: "upstream kubelet (replayed)",
    pattern: "one keep-alive connection, PUT of the whole Lease; heartbeat diff of 4 conditions",
    streams,
})

export async function replayKubelet(api: ApiServer, plan: Plan): Promise<ClientCost> {
    const client = kubeletClient(api, api.tokens.bootstrap)
    try {
        const kubelet = await bootKubelet(client)
        const renewed = await measureWindow(api, owns, () => repeat(plan.wire.renewals, kubelet.renew))
        const posted = await measureWindow(api, owns, () => repeat(plan.wire.statusPosts, kubelet.postStatus))
        return kubeletCost([
            windowStream("lease renewals", renewed, plan.wire.renewals, REAL.renewalsPerHour),
            windowStream("status posts", posted, plan.wire.statusPosts, REAL.statusPostsPerHour),
        ])
    } finally {
        client.close()
    }
}
