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
import { ClientCost, windowStream } from "./cost"
import { Plan, REAL } from "./plan"
import { healthyConditions, registerNode, ReplayClient } from "./replay-client"
import { measureWindow } from "./traffic"

const NODE = "esp-kube-01"
/** The kubelet's conditions, in the order it reports them. */
const STANDARD = ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"]
const owns = (e: LogEntry) => e.path.includes(`/${NODE}`)

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

export async function replayKubelet(api: ApiServer, plan: Plan): Promise<ClientCost> {
    // a kubelet authenticates with a client certificate, once per connection;
    // the 23-byte bootstrap token is the closest per-request cost the emulator takes
    const client = new ReplayClient(api, {
        token: api.tokens.bootstrap,
        userAgent: "kubelet/v1.31.1 (linux/arm64) kubernetes/948afe5",
        keepAlive: true,
    })
    try {
        // boot (not measured): register, create the Lease owned by the Node
        const node = await registerNode(client, NODE, standardConditions(Date.now()))
        let lease = await client.call("POST", LEASES_PATH, leaseBody(NODE, node.metadata.uid, 40, formatMicroTime(Date.now())))

        const renewed = await measureWindow(api, owns, async () => {
            for (let i = 0; i < plan.wire.renewals; i++) {
                lease.spec.renewTime = formatMicroTime(Date.now())
                lease = await client.call("PUT", leasePath(NODE), JSON.stringify(lease))
            }
        })
        const posted = await measureWindow(api, owns, async () => {
            for (let i = 0; i < plan.wire.statusPosts; i++)
                await client.call("PATCH", nodePath(NODE) + "/status", heartbeatDiff(Date.now()), STRATEGIC_MERGE_PATCH)
        })

        return {
            key: "kubelet",
            name: "upstream kubelet (replayed)",
            pattern: "one keep-alive connection, PUT of the whole Lease; heartbeat diff of 4 conditions",
            streams: [
                windowStream("lease renewals", renewed, plan.wire.renewals, REAL.renewalsPerHour),
                windowStream("status posts", posted, plan.wire.statusPosts, REAL.statusPostsPerHour),
            ],
        }
    } finally {
        client.close()
    }
}
