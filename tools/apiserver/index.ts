// startApiServer: the emulator assembled — certificates, tokens, store,
// controllers, the wire — with the handles tests observe and break it by.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { Api } from "./api"
import { authenticator, bootstrapTokenPattern, newAdminToken, newBootstrapToken, newServiceAccountJwt, type Tokens } from "./auth"
import { ensureCerts, readPem } from "./certs"
import { systemClock, type Clock } from "./clock"
import { runGarbageCollector, runNodeLabelControllers } from "./controllers"
import { Faults, type FaultSpec } from "./faults"
import { NodeLifecycle, type ReadyTransition } from "./lifecycle"
import { describeNode, nodesWide } from "./printers"
import { DEPLOY_RBAC, loadGrants } from "./rbac"
import { RequestLog, WireServer } from "./server"
import { Store, type Obj } from "./store"

export { FakeClock, systemClock, type Clock } from "./clock"
export type { FaultKind, FaultSpec } from "./faults"
export type { ReadyTransition } from "./lifecycle"
export type { LogEntry, RequestLog } from "./server"

export interface ApiServerOptions {
    /** 0 picks a free port. Default 6443. */
    port?: number
    host?: string
    tls?: boolean
    /** Where the CA, kubeconfig and tokens live; default `.apiserver/` in the repo root. */
    dataDir?: string
    bootstrapToken?: string
    jwtToken?: string
    adminToken?: string
    /** Node monitor grace period (kube-controller-manager --node-monitor-grace-period). */
    gracePeriodSeconds?: number
    clock?: Clock
    quiet?: boolean
    /** RBAC manifests applied beside deploy/rbac.yaml (what a test grants on top). */
    rbacManifests?: string[]
}

/** Read access to what the emulator stores; every call returns a copy. */
export interface StoreView {
    readonly resourceVersion: string
    getNode(name: string): Obj | undefined
    getLease(namespace: string, name: string): Obj | undefined
    getPod(namespace: string, name: string): Obj | undefined
    listNodes(): Obj[]
    listLeases(namespace?: string): Obj[]
    listPods(namespace?: string): Obj[]
    listEvents(namespace?: string): Obj[]
}

export interface ApiServer {
    url: string
    port: number
    /** Undefined when serving plain HTTP. */
    caFile: string | undefined
    kubeconfigFile: string
    tokensFile: string
    tokens: Tokens
    clock: Clock
    store: StoreView
    log: RequestLog
    faults: { add(spec: FaultSpec): void; clear(): void }
    refuseConnections(ms: number): Promise<void>
    restart(opts: { keepState: boolean }): Promise<void>
    /** What etcd's compaction does: earlier revisions are gone, a continue token from before now gets 410 Expired. */
    compact(): void
    readyTransitions(nodeName: string): ReadyTransition[]
    getNodesWide(): string
    describeNode(name: string): string
    stop(): Promise<void>
}

export const defaultDataDir = resolve(__dirname, "..", "..", ".apiserver")

function loadTokens(file: string, opts: ApiServerOptions, now: number): Tokens {
    const saved: Partial<Tokens> = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : {}
    const tokens: Tokens = {
        bootstrap: opts.bootstrapToken ?? saved.bootstrap ?? newBootstrapToken(),
        jwt: opts.jwtToken ?? saved.jwt ?? newServiceAccountJwt(now),
        admin: opts.adminToken ?? saved.admin ?? newAdminToken(),
    }
    if (!bootstrapTokenPattern.test(tokens.bootstrap))
        throw new Error(`bootstrap token ${JSON.stringify(tokens.bootstrap)} is not of the form [a-z0-9]{6}.[a-z0-9]{16}`)
    writeFileSync(file, JSON.stringify(tokens, null, 2) + "\n", { mode: 0o600 })
    return tokens
}

function kubeconfig(url: string, caFile: string | undefined, token: string): string {
    return [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "- name: picokubelet-emulator",
        "  cluster:",
        `    server: ${url}`,
        ...(caFile ? [`    certificate-authority: ${caFile}`] : []),
        "users:",
        "- name: admin",
        "  user:",
        `    token: ${token}`,
        "contexts:",
        "- name: admin@picokubelet-emulator",
        "  context:",
        "    cluster: picokubelet-emulator",
        "    user: admin",
        "current-context: admin@picokubelet-emulator",
        "",
    ].join("\n")
}

export async function startApiServer(opts: ApiServerOptions = {}): Promise<ApiServer> {
    const clock = opts.clock ?? systemClock
    const useTls = opts.tls ?? true
    const host = opts.host ?? "127.0.0.1"
    const dataDir = resolve(opts.dataDir ?? defaultDataDir)
    mkdirSync(dataDir, { recursive: true })
    const certs = useTls ? ensureCerts(dataDir) : undefined
    const tokensFile = join(dataDir, "tokens.json")
    const tokens = loadTokens(tokensFile, opts, clock.now())

    const store = new Store(() => clock.now())
    const stopNodeLabelControllers = runNodeLabelControllers(store, clock)
    runGarbageCollector(store)
    const lifecycle = new NodeLifecycle(store, clock, (opts.gracePeriodSeconds ?? 40) * 1000)
    const faults = new Faults()
    const log = new RequestLog()
    const displayHost = host === "127.0.0.1" || host === "0.0.0.0" || host === "::" ? "localhost" : host
    const grants = loadGrants([DEPLOY_RBAC, ...(opts.rbacManifests ?? [])])
    const api = new Api(store, authenticator(tokens), grants, () => clock.now(), (): string => `${host}:${wire.port}`)
    const wire: WireServer = new WireServer({
        host,
        port: opts.port ?? 6443,
        tls: certs && { key: readPem(certs.keyFile), cert: readPem(certs.certFile) },
        clock,
        faults,
        log,
        api,
    })
    await wire.listen()
    const url = `${useTls ? "https" : "http"}://${displayHost}:${wire.port}`
    const kubeconfigFile = join(dataDir, "admin.kubeconfig")
    writeFileSync(kubeconfigFile, kubeconfig(url, certs?.caFile, tokens.admin), { mode: 0o600 })
    if (!opts.quiet) console.log(`apiserver emulator listening on ${url}`)

    const nodeView = (name: string) => {
        const node = store.get("nodes", "", name)
        if (!node) throw new Error(`node ${name} not found`)
        return {
            node,
            lease: store.get("leases", "kube-node-lease", name),
            pods: store.list("pods").filter(p => p.spec?.nodeName === name),
            // what kubectl describe node searches for: the kubelet's node events carry the node's
            // name as its uid, and no namespace (events of the node's real uid do not show)
            events: store.list("events").filter(e => {
                const o = e.involvedObject ?? {}
                return o.kind === "Node" && o.name === name && o.uid === name && !o.namespace
            }),
            now: clock.now(),
        }
    }

    return {
        url,
        port: wire.port,
        caFile: certs?.caFile,
        kubeconfigFile,
        tokensFile,
        tokens,
        clock,
        store: {
            get resourceVersion() {
                return store.resourceVersion
            },
            getNode: name => store.get("nodes", "", name),
            getLease: (ns, name) => store.get("leases", ns, name),
            getPod: (ns, name) => store.get("pods", ns, name),
            listNodes: () => store.list("nodes"),
            listLeases: ns => store.list("leases", ns),
            listPods: ns => store.list("pods", ns),
            listEvents: ns => store.list("events", ns),
        },
        log,
        faults: { add: spec => faults.add(spec), clear: () => faults.clear() },
        refuseConnections: ms => wire.refuse(ms),
        async restart({ keepState }) {
            await wire.close()
            if (!keepState) {
                store.clear()
                lifecycle.reset()
            }
            await wire.listen()
        },
        compact: () => store.compact(),
        readyTransitions: name => lifecycle.readyTransitions(name),
        getNodesWide: () => nodesWide(store.list("nodes"), clock.now()),
        describeNode: name => describeNode(nodeView(name)),
        async stop() {
            stopNodeLabelControllers()
            lifecycle.stop()
            await wire.close()
        },
    }
}
