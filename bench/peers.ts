// Peers side by side on one real control plane (tools/cluster, built from Go
// modules): picokubelet in the simulator, kwok with one fake node, a
// virtual-kubelet node (tools/peers), and the seed and kubelet replays, one
// after another, each through its own port of a TCP-counting proxy
// (bench/tcp-proxy.ts) so its bytes and connections are its own. Requests come
// from the server's audit log, keyed by the client's user; a stream's bytes are
// the proxy's chunks that crossed while one of its requests was in flight
// (bench/audit.ts). Then the same clients' figures from the emulator (the
// wire-cost step) against these, to show the emulator's error.
import { ChildProcess } from "node:child_process"
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Cluster, kubeconfig, startCluster } from "../tools/cluster"
import { ensureCa, ensureCert } from "../tools/pki"
import { PeerBinaries } from "../tools/peers/build"
import { startChild, stopChild } from "../tools/simulator/children"
import { AuditRequest, attribute, auditRequests } from "./audit"
import { ClientCost, perHour, Stream, streamPerHour } from "./cost"
import { Firmware } from "./firmware"
import { Floor, FLOOR_NODE, measureFloor } from "./floor"
import { Plan, REAL } from "./plan"
import { bootKubelet, KUBELET_NODE, kubeletClient, kubeletCost } from "./replay-kubelet"
import { repeat, ReplaySteps } from "./replay-client"
import { bootSeed, SEED_NODE, seedClient, seedCost } from "./replay-seed"
import { CountingProxy } from "./tcp-proxy"
import { WireCost } from "./wire-cost"

const OURS = "esp-ours-01"
const KWOK_NODE = "kwok-peer-01"
const VK_NODE = "vk-peer-01"
const REST = "watches, reconnects and other"
export const HEARTBEATS = ["lease renewals", "status posts"]

export interface PeerClient {
    cost: ClientCost
    /** The user the audit log names it by. */
    user: string
    windowSeconds: number
    /** How its streams were measured and scaled to an hour. */
    scaling: string
    /** Its requests in the window, by verb and resource (`patch leases`, `watch pods`). */
    requests: Record<string, number>
}

export interface Peers {
    skipped?: string
    k8sVersion?: string
    builds?: { kwok: string; virtualKubelet: string; buildSeconds: PeerBinaries["buildSeconds"] }
    clients: PeerClient[]
    /** The floor of one renewal on the same control plane (bench/floor.ts). */
    floor?: Floor
    /** The same clients against the emulator (the wire-cost step), for the real / emulator ratios. */
    emulator: ClientCost[]
    /** ours below every peer per node-hour: heartbeats (lease + status), and everything. */
    goals: { heartbeats: boolean; total: boolean }
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

/** Bytes an hour of the lease and status streams. */
export const heartbeatsPerHour = (c: ClientCost) =>
    c.streams.filter(s => HEARTBEATS.includes(s.label)).reduce((n, s) => n + streamPerHour(s).total, 0)

const stream = (label: string, bytes: { up: number; down: number } | undefined, requests: number, measured: number, perHour: number, connections = 0): Stream => ({
    label,
    measured,
    perHour,
    up: bytes?.up ?? 0,
    down: bytes?.down ?? 0,
    connections,
    requests,
})

interface Timed {
    proxy: CountingProxy
    auditLogFile: string
    user: string
    from: number
    to: number
    classify: (r: AuditRequest) => string
    /** A status stream run faster than for real: scaled per status write to this many an hour. */
    statusPerHour?: number
}

/**
 * A client that ran by itself for [from, to): its chunks split into streams by
 * its requests; each stream scaled by time, except a shortened status stream,
 * scaled per status write.
 */
function timedWindow(t: Timed): { streams: Stream[]; requests: Record<string, number> } {
    const requests = auditRequests(t.auditLogFile, t.user, t.from, t.to)
    const classify = (r: AuditRequest) => (r.longRunning ? REST : t.classify(r))
    const chunks = t.proxy.chunks.filter(c => c.at >= t.from && c.at < t.to)
    const bytes = attribute(chunks, requests, classify, REST)
    const seconds = (t.to - t.from) / 1000
    const labels = [...new Set([...HEARTBEATS, ...requests.map(classify), REST])]
    const streams = labels.map(label => {
        const own = requests.filter(r => classify(r) === label)
        const connections = label === REST ? t.proxy.counts(t.from, t.to).connections : 0
        if (label === "status posts" && t.statusPerHour) {
            const writes = own.filter(r => r.verb === "patch" || r.verb === "update").length
            return stream(label, bytes.get(label), own.length, writes, t.statusPerHour)
        }
        return stream(label, bytes.get(label), own.length, seconds, 3600, connections)
    })
    const kinds: Record<string, number> = {}
    for (const r of requests) {
        const k = `${r.verb} ${r.resource}${r.subresource ? "/" + r.subresource : ""}`
        kinds[k] = (kinds[k] ?? 0) + 1
    }
    return { streams, requests: kinds }
}

/** Lease, node status and, for ours, its pod listings; the rest is the client's watches and whatever else it does. */
const classifyFor = (node: string, podListings: boolean) => (r: AuditRequest) => {
    if (r.resource === "leases" && r.name === node) return "lease renewals"
    if (r.resource === "nodes" && r.name === node) return "status posts"
    if (podListings && r.resource === "pods" && r.verb === "list") return "pod listings"
    return REST
}

const bootstrapUser = (token: string) => `system:bootstrap:${token.split(".")[0]}`

async function waitUntil(what: string, timeoutMs: number, check: () => Promise<boolean>, died?: () => string | undefined) {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
        const gone = died?.()
        if (gone) throw new Error(`${what}: ${gone}`)
        if (await check().catch(() => false)) return
        await sleep(1000)
    }
    throw new Error(`${what}: not within ${timeoutMs / 1000} s`)
}

async function nodeReadyWithLease(cluster: Cluster, node: string): Promise<boolean> {
    const n = await cluster.kubectl.json("get", "node", node)
    const ready = n.status?.conditions?.find((c: any) => c.type === "Ready")?.status === "True"
    return ready && !!(await cluster.kubectl.json("-n", "kube-node-lease", "get", "lease", node)).spec?.renewTime
}

/** A client certificate of the cluster's CA in system:masters, and a kubeconfig through the proxy with it. */
function peerKubeconfig(cluster: Cluster, proxy: CountingProxy, cn: string, dir: string): string {
    const pki = join(cluster.dataDir, "pki")
    const cert = ensureCert(pki, ensureCa(pki, "ca", "picokubelet-local-ca"), { name: cn.replace(/\W/g, "-"), cn, org: "system:masters", usage: "client" })
    const file = join(dir, `${cn.replace(/\W/g, "-")}.kubeconfig`)
    writeFileSync(file, kubeconfig(`https://localhost:${proxy.port}`, cluster.caFile, cn, cert), { mode: 0o600 })
    return file
}

/** A peer's Go command running against the cluster; its output in `logFile`. */
async function runPeer<T>(command: string, args: string[], logFile: string, work: (exited: () => string | undefined) => Promise<T>): Promise<T> {
    const child: ChildProcess = startChild(command, args, { env: process.env })
    const out = createWriteStream(logFile)
    child.stdout!.pipe(out)
    child.stderr!.pipe(out)
    const exited = () => (child.exitCode !== null || child.signalCode !== null ? `exited with ${child.exitCode ?? child.signalCode} (log: ${logFile})` : undefined)
    try {
        return await work(exited)
    } finally {
        await stopChild(child, 5000)
    }
}

interface Run {
    cluster: Cluster
    peersPlan: NonNullable<Plan["peers"]>
    dir: string
    log: (line: string) => void
}

/** The settle, then the window, of a client that runs by itself; `alive` throws if it died meanwhile. */
async function steadyWindow(r: Run, alive: () => void): Promise<{ from: number; to: number }> {
    await sleep(r.peersPlan.settleSeconds * 1000)
    alive()
    const from = Date.now()
    await sleep(r.peersPlan.windowSeconds * 1000)
    const to = Date.now()
    alive()
    // the audit log is written as requests end: let the window's last ones land
    await sleep(2000)
    return { from, to }
}

async function measureOurs(r: Run, proxy: CountingProxy): Promise<PeerClient> {
    const token = r.cluster.tokenFor(OURS)
    const fw = await Firmware.start(
        { port: proxy.port, caFile: r.cluster.caFile, tokens: { bootstrap: token } },
        { node: OURS, settings: { STATUS_SECS: r.peersPlan.oursStatusSecs } }
    )
    try {
        await fw.guard("at boot", fw.waitFor(/^lease: renewed #1 /, 120000))
        let died: string | undefined
        fw.died.then(why => (died = why))
        const { from, to } = await steadyWindow(r, () => {
            if (died) throw new Error(`picokubelet died: ${died}`)
        })
        const user = bootstrapUser(token)
        const m = timedWindow({ proxy, auditLogFile: r.cluster.auditLogFile!, user, from, to, classify: classifyFor(OURS, true), statusPerHour: REAL.statusPostsPerHour })
        return {
            cost: {
                key: "ours",
                name: "picokubelet (as built, simulator)",
                pattern: `firmware defaults (RENEW_SECS=${REAL.renewSecs}, POD_SECS unset) but STATUS_SECS=${r.peersPlan.oursStatusSecs}; one keep-alive HTTP/1.1 connection, bootstrap token`,
                streams: m.streams,
            },
            user,
            windowSeconds: (to - from) / 1000,
            scaling: `status posts per post to ${REAL.statusPostsPerHour}/h (every ${REAL.statusSecs} s as built), the rest by time`,
            requests: m.requests,
        }
    } finally {
        await fw.stop()
    }
}

/** kwok's heartbeat stage with its delay scaled down to about `secs`, and its real mean period. */
function shortenedStages(stagesFile: string, secs: number): { yaml: string; realPeriodSeconds: number } {
    const yaml = readFileSync(stagesFile, "utf8")
    const duration = Number(/^\s*durationMilliseconds: (\d+)$/m.exec(yaml)?.[1])
    const jitter = Number(/^\s*jitterDurationMilliseconds: (\d+)$/m.exec(yaml)?.[1])
    if (!duration || !jitter) throw new Error(`${stagesFile}: no heartbeat delay (durationMilliseconds, jitterDurationMilliseconds) found`)
    const scale = (secs * 1000) / duration
    return {
        yaml: yaml
            .replace(/^(\s*durationMilliseconds: )\d+$/m, `$1${Math.round(duration * scale)}`)
            .replace(/^(\s*jitterDurationMilliseconds: )\d+$/m, `$1${Math.round(jitter * scale)}`),
        // kwok waits a uniform time in [duration, jitter)
        realPeriodSeconds: (duration + jitter) / 2000,
    }
}

async function measureKwok(r: Run, proxy: CountingProxy, kwok: PeerBinaries["kwok"]): Promise<PeerClient> {
    const cn = "picokubelet-bench:kwok"
    const kc = peerKubeconfig(r.cluster, proxy, cn, r.dir)
    const stages = shortenedStages(kwok.stagesFile, r.peersPlan.kwokStatusSecs)
    const config = join(r.dir, "kwok-stages.yaml")
    writeFileSync(config, stages.yaml)
    // the fake node as kwok's docs describe it: annotated for kwok to manage, tainted so nothing real lands there
    await r.cluster.kubectl.apply(
        JSON.stringify({
            apiVersion: "v1",
            kind: "Node",
            metadata: { name: KWOK_NODE, annotations: { "kwok.x-k8s.io/node": "fake" }, labels: { type: "kwok", "kubernetes.io/hostname": KWOK_NODE } },
            spec: { taints: [{ key: "kwok.x-k8s.io/node", value: "fake", effect: "NoSchedule" }] },
        })
    )
    const args = [
        `--kubeconfig=${kc}`,
        `--config=${config}`,
        "--manage-all-nodes=false",
        "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
        "--node-lease-duration-seconds=40",
        "--node-ip=192.168.0.113",
    ]
    return runPeer(kwok.path, args, join(r.dir, "kwok.log"), async exited => {
        await waitUntil("kwok's node Ready with a lease", 120000, () => nodeReadyWithLease(r.cluster, KWOK_NODE), exited)
        const { from, to } = await steadyWindow(r, () => {
            const gone = exited()
            if (gone) throw new Error(`kwok ${gone}`)
        })
        const statusPerHour = 3600 / stages.realPeriodSeconds
        const m = timedWindow({ proxy, auditLogFile: r.cluster.auditLogFile!, user: cn, from, to, classify: classifyFor(KWOK_NODE, false), statusPerHour })
        return {
            cost: {
                key: "kwok",
                name: `kwok ${kwok.version} (one fake node)`,
                pattern:
                    "kwok's default node stages (initialize, heartbeat with lease) from its module, node selected by annotation, " +
                    "--node-lease-duration-seconds=40 (a Lease PUT every 10 s); client-go over HTTP/2, watches of nodes, leases and pods",
                streams: m.streams,
            },
            user: cn,
            windowSeconds: (to - from) / 1000,
            scaling:
                `its heartbeat stage's delay cut to ~${r.peersPlan.kwokStatusSecs} s, status posts scaled per post to ${statusPerHour.toFixed(2)}/h ` +
                `(the stage's ${stages.realPeriodSeconds} s mean), the rest by time`,
            requests: m.requests,
        }
    })
}

async function measureVirtualKubelet(r: Run, proxy: CountingProxy, vk: PeerBinaries["virtualKubelet"]): Promise<PeerClient> {
    const cn = "picokubelet-bench:virtual-kubelet"
    const kc = peerKubeconfig(r.cluster, proxy, cn, r.dir)
    return runPeer(vk.path, [`--kubeconfig=${kc}`, `--node-name=${VK_NODE}`], join(r.dir, "virtual-kubelet.log"), async exited => {
        await waitUntil("virtual-kubelet's node Ready with a lease", 120000, () => nodeReadyWithLease(r.cluster, VK_NODE), exited)
        const { from, to } = await steadyWindow(r, () => {
            const gone = exited()
            if (gone) throw new Error(`virtual-kubelet ${gone}`)
        })
        const m = timedWindow({ proxy, auditLogFile: r.cluster.auditLogFile!, user: cn, from, to, classify: classifyFor(VK_NODE, false) })
        return {
            cost: {
                key: "virtual-kubelet",
                name: `virtual-kubelet ${vk.version} (mock provider)`,
                pattern:
                    "nodeutil.NewNode: node lease of 40 s (renewed every 10 s), status every minute (a GET and a PATCH), " +
                    "informers of its pods and of every secret, config map and service; client-go over HTTP/2",
                streams: m.streams,
            },
            user: cn,
            windowSeconds: (to - from) / 1000,
            scaling: "by time (its default intervals fit in the window)",
            requests: m.requests,
        }
    })
}

/** A replay's renewals, then its status cycles, each in a window of its own, as the wire-cost step runs them. */
async function measureReplay(r: Run, proxy: CountingProxy, user: string, steps: ReplaySteps, plan: Plan): Promise<{ streams: Stream[]; requests: Record<string, number> }> {
    const requests: Record<string, number> = {}
    const window = async (label: string, times: number, perHour: number, step: () => Promise<void>) => {
        const from = Date.now()
        await repeat(times, step)
        await sleep(500)
        const to = Date.now()
        await sleep(1500)
        const reqs = auditRequests(r.cluster.auditLogFile!, user, from, to)
        for (const q of reqs) requests[`${q.verb} ${q.resource}`] = (requests[`${q.verb} ${q.resource}`] ?? 0) + 1
        const c = proxy.counts(from, to)
        return stream(label, c, reqs.length, times, perHour, c.connections)
    }
    const renewals = await window("lease renewals", plan.wire.renewals, REAL.renewalsPerHour, steps.renew)
    const status = await window("status posts", plan.wire.statusPosts, REAL.statusPostsPerHour, steps.postStatus)
    return { streams: [renewals, status], requests }
}

async function measureSeed(r: Run, proxy: CountingProxy, plan: Plan): Promise<PeerClient> {
    const server = { url: `https://localhost:${proxy.port}`, caFile: r.cluster.caFile }
    const steps = await bootSeed(seedClient(server, await r.cluster.serviceAccountToken(SEED_NODE)))
    const user = `system:serviceaccount:picokubelet:${SEED_NODE}`
    const m = await measureReplay(r, proxy, user, steps, plan)
    return { cost: seedCost(m.streams), user, windowSeconds: 0, scaling: replayScaling(plan), requests: m.requests }
}

async function measureKubelet(r: Run, proxy: CountingProxy, plan: Plan): Promise<PeerClient> {
    const token = r.cluster.tokenFor(KUBELET_NODE)
    const client = kubeletClient({ url: `https://localhost:${proxy.port}`, caFile: r.cluster.caFile }, token)
    try {
        const steps = await bootKubelet(client)
        const user = bootstrapUser(token)
        const m = await measureReplay(r, proxy, user, steps, plan)
        return { cost: kubeletCost(m.streams), user, windowSeconds: 0, scaling: replayScaling(plan), requests: m.requests }
    } finally {
        client.close()
    }
}

const replayScaling = (plan: Plan) =>
    `${plan.wire.renewals} renewals and ${plan.wire.statusPosts} status cycles back to back, each stream in a window of its own, ` +
    `scaled per event to ${REAL.renewalsPerHour} and ${REAL.statusPostsPerHour}/h (as in the wire-cost step)`

/** The replays' extra rights (bench/replay-rbac.yaml's role) for their identities here. */
const replayBinding = () =>
    JSON.stringify({
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRoleBinding",
        metadata: { name: "picokubelet:bench-replays-peers" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "picokubelet:bench-replays" },
        subjects: [
            { kind: "ServiceAccount", name: SEED_NODE, namespace: "picokubelet" },
            { kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: `system:bootstrappers:picokubelet:${KUBELET_NODE}` },
        ],
    })

/** Every client one after another on one real control plane; `wire` is the emulator's figures for ours, seed and kubelet. */
export async function benchPeers(plan: Plan, wire: WireCost, built: PeerBinaries, log: (line: string) => void = console.error): Promise<Peers> {
    const peersPlan = plan.peers!
    const cluster = await startCluster({ nodeNames: [OURS, SEED_NODE, KUBELET_NODE, FLOOR_NODE], auditLog: true, log })
    const dir = join(cluster.dataDir, "peers")
    mkdirSync(dir, { recursive: true })
    const r: Run = { cluster, peersPlan, dir, log }
    const clients: PeerClient[] = []
    let floor: Floor | undefined
    try {
        await cluster.kubectl.apply(readFileSync(join(__dirname, "replay-rbac.yaml"), "utf8"))
        await cluster.kubectl.apply(replayBinding())
        const target = { host: "127.0.0.1", port: cluster.port }
        const each = async (what: string, node: string | undefined, measure: (proxy: CountingProxy) => Promise<PeerClient>) => {
            log(`bench: peers: ${what} ...`)
            const proxy = await CountingProxy.start(target)
            try {
                clients.push(await measure(proxy))
            } finally {
                await proxy.close()
            }
            // a stopped node's Node stays, and the node controller's updates of it would reach the next client's node watches
            if (node) await cluster.kubectl.run("delete", "node", node, "--ignore-not-found", "--wait=false")
        }
        // the peers that watch every node first, while no other node exists
        await each("kwok", KWOK_NODE, p => measureKwok(r, p, built.kwok))
        await each("virtual-kubelet", VK_NODE, p => measureVirtualKubelet(r, p, built.virtualKubelet))
        await each("picokubelet", OURS, p => measureOurs(r, p))
        await each("the seed's replay", SEED_NODE, p => measureSeed(r, p, plan))
        await each("the kubelet's replay", KUBELET_NODE, p => measureKubelet(r, p, plan))
        log("bench: peers: the floor of one renewal ...")
        floor = await measureFloor(cluster)
    } finally {
        await cluster.stop()
    }
    const ours = clients.find(c => c.cost.key === "ours")!.cost
    const peers = clients.filter(c => c.cost.key !== "ours").map(c => c.cost)
    return {
        k8sVersion: cluster.version,
        builds: { kwok: built.kwok.version, virtualKubelet: built.virtualKubelet.version, buildSeconds: built.buildSeconds },
        clients,
        floor,
        emulator: wire.clients,
        goals: {
            heartbeats: peers.every(p => heartbeatsPerHour(ours) < heartbeatsPerHour(p)),
            total: peers.every(p => perHour(ours).total < perHour(p).total),
        },
    }
}

