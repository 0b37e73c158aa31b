// startCluster: a real control plane on loopback, shaped like the users' k3s:
// kine on SQLite, kube-apiserver, kube-controller-manager and kube-scheduler
// with k3s-like flags, every port picked free so two can run side by side.
import { ChildProcess } from "node:child_process"
import { randomBytes } from "node:crypto"
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { request } from "node:https"
import { createServer, connect } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { startChild, stopChild } from "../simulator/children"
import { REPO } from "../simulator/project"
import { ensureCa, ensureCert, ensureKeyPair, KeyPair } from "../pki"
import { Binaries, ensureBinaries, requestedVersion, Resolved } from "./binaries"
import { Kubectl } from "./kubectl"

export interface ClusterOptions {
    /** v1.MINOR or v1.MINOR.PATCH; default from --k8s-version / PICOKUBELET_K8S_VERSION / v1.31. */
    version?: string
    /**
     * Nodes that get an identity each: deploy/rbac.yaml's rights (esp-node-01 renamed), a
     * bootstrap token and a ServiceAccount token; default ["esp-node-01"]. The first is `token`'s.
     */
    nodeNames?: string[]
    /** kube-controller-manager --node-monitor-grace-period; default 40 (the v1.31 default). */
    nodeMonitorGracePeriodSeconds?: number
    /** kube-controller-manager --node-monitor-period; default 5. */
    nodeMonitorPeriodSeconds?: number
    /** Where PKI, kubeconfigs, the SQLite file and logs go; default a new temporary directory. */
    dataDir?: string
    /** Progress lines (builds, start-up); default console.log. */
    log?: (line: string) => void
    /**
     * Writes every request's audit event (level Metadata: user, verb, object,
     * received and completed times; no bodies) to `auditLogFile`, so a
     * benchmark can count each client's requests as the server saw them.
     */
    auditLog?: boolean
}

export interface Cluster {
    version: string
    url: string
    port: number
    caFile: string
    /** Admin (system:masters) client-certificate kubeconfig. */
    kubeconfigFile: string
    /** The admin's client certificate and key, for raw TLS clients. */
    adminCert: KeyPair
    /** The first node's bootstrap token `<id>.<secret>`, in group system:bootstrappers:picokubelet:<node>. */
    token: string
    /** The node names given (or the default), in order. */
    nodeNames: string[]
    /** A node's bootstrap token, in group system:bootstrappers:picokubelet:<node>. */
    tokenFor(node: string): string
    dataDir: string
    /** JSON lines of audit.k8s.io/v1 Events, when started with `auditLog`. */
    auditLogFile?: string
    kubectl: Kubectl
    /** A node's ServiceAccount picokubelet/<node>'s long-lived token (deploy/serviceaccount-token.yaml); default the first node's. */
    serviceAccountToken(node?: string): Promise<string>
    /** Stops kube-apiserver and starts it again on the same port and datastore. */
    restartApiServer(): Promise<void>
    stop(): Promise<void>
}

type Component = "kine" | "kube-apiserver" | "kube-controller-manager" | "kube-scheduler"

const freePort = () =>
    new Promise<number>((resolve, reject) => {
        const srv = createServer()
        srv.once("error", reject)
        srv.listen(0, "127.0.0.1", () => {
            const port = (srv.address() as { port: number }).port
            srv.close(() => resolve(port))
        })
    })

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

function logTail(file: string, lines = 30): string {
    if (!existsSync(file)) return "(no log)"
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n")
}

export function kubeconfig(url: string, caFile: string, user: string, client: KeyPair): string {
    return [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "- name: picokubelet-local",
        "  cluster:",
        `    server: ${url}`,
        `    certificate-authority: ${caFile}`,
        "users:",
        `- name: ${user}`,
        "  user:",
        `    client-certificate: ${client.certFile}`,
        `    client-key: ${client.keyFile}`,
        "contexts:",
        `- name: ${user}@picokubelet-local`,
        "  context:",
        "    cluster: picokubelet-local",
        `    user: ${user}`,
        `current-context: ${user}@picokubelet-local`,
        "",
    ].join("\n")
}

/** Flags controller-manager and scheduler share: their identity, one loopback health port, no leader election. */
const clientComponentFlags = (kubeconfigFile: string, port: number) => [
    `--kubeconfig=${kubeconfigFile}`,
    `--authentication-kubeconfig=${kubeconfigFile}`,
    `--authorization-kubeconfig=${kubeconfigFile}`,
    "--bind-address=127.0.0.1",
    `--secure-port=${port}`,
    "--leader-elect=false",
    "--profiling=false",
]

/** What kube-apiserver accepts as a bootstrap token's extra group (k8s.io/cluster-bootstrap BootstrapGroupPattern). */
const BOOTSTRAP_GROUP = /^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$/

/** A node's bootstrap token Secret as deploy/bootstrap-token.yaml describes it. */
function bootstrapTokenSecret(id: string, secret: string, node: string): string {
    return JSON.stringify({
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: `bootstrap-token-${id}`, namespace: "kube-system" },
        type: "bootstrap.kubernetes.io/token",
        stringData: {
            description: `picokubelet node ${node}`,
            "token-id": id,
            "token-secret": secret,
            "usage-bootstrap-authentication": "true",
            "auth-extra-groups": `system:bootstrappers:picokubelet:${node}`,
        },
    })
}

const randomLower = (n: number) => [...randomBytes(n)].map(b => "abcdefghijklmnopqrstuvwxyz0123456789"[b % 36]).join("")

/** The node name deploy/'s per-node manifests are written for. */
export const TEMPLATE_NODE = "esp-node-01"

/** A per-node manifest of deploy/ for each node, renamed as its header tells a user to. */
function renamedFor(file: string, nodeNames: string[]): string {
    const template = readFileSync(join(REPO, "deploy", file), "utf8")
    return nodeNames.map(n => template.split(TEMPLATE_NODE).join(n)).join("\n---\n")
}

/** deploy/rbac.yaml for each node, renamed as its header tells a user to. */
export const rbacFor = (nodeNames: string[]) => renamedFor("rbac.yaml", nodeNames)

/** deploy/serviceaccount-token.yaml for each node. */
export const serviceAccountTokenSecretsFor = (nodeNames: string[]) => renamedFor("serviceaccount-token.yaml", nodeNames)

/** deploy/pod-policy.yaml: names no node, applied once. */
export const podPolicy = () => readFileSync(join(REPO, "deploy", "pod-policy.yaml"), "utf8")

class Processes {
    private readonly children = new Map<Component, ChildProcess>()
    constructor(private readonly logDir: string) {}

    logFile = (c: Component) => join(this.logDir, `${c}.log`)

    start(c: Component, command: string, args: string[], cwd: string) {
        const child = startChild(command, args, { cwd, env: process.env })
        const out = createWriteStream(this.logFile(c), { flags: "a" })
        child.stdout!.pipe(out, { end: false })
        child.stderr!.pipe(out, { end: false })
        this.children.set(c, child)
        return child
    }

    exited(c: Component): string | undefined {
        const child = this.children.get(c)
        if (!child || (child.exitCode === null && child.signalCode === null)) return undefined
        return `exited with ${child.exitCode ?? child.signalCode}`
    }

    async stop(c: Component) {
        const child = this.children.get(c)
        this.children.delete(c)
        if (child) await stopChild(child, 5000)
    }

    async stopAll() {
        // the reverse of the start order: clients before their servers
        for (const c of [...this.children.keys()].reverse()) await this.stop(c)
    }
}

/** GET `path` over HTTPS; resolves with the status code, or 0 when nothing answered. */
function httpsStatus(port: number, path: string, tls: { ca?: string; cert?: string; key?: string }): Promise<number> {
    return new Promise(resolve => {
        const req = request(
            { host: "127.0.0.1", port, path, timeout: 3000, rejectUnauthorized: !!tls.ca, servername: "localhost", ...tls },
            res => {
                res.resume()
                res.on("end", () => resolve(res.statusCode ?? 0))
            }
        )
        req.on("error", () => resolve(0))
        req.on("timeout", () => req.destroy())
        req.end()
    })
}

const tcpOpen = (port: number) =>
    new Promise<boolean>(resolve => {
        const s = connect(port, "127.0.0.1")
        s.once("connect", () => (s.destroy(), resolve(true)))
        s.once("error", () => resolve(false))
    })

/**
 * ValidatingAdmissionPolicies take effect when the apiserver's informers see the
 * policies and their bindings: waits until a node's identity is refused, on a
 * server dry run, an event about a Node of no node (the last policy applied).
 */
async function waitForPodPolicy(kubectl: Kubectl, url: string, caFile: string, token: string): Promise<void> {
    const as = kubectl.withToken(url, caFile, token)
    const probe = JSON.stringify({
        apiVersion: "v1",
        kind: "Event",
        metadata: { name: "picokubelet-policy-probe", namespace: "default" },
        involvedObject: { kind: "Node", name: "picokubelet-policy-probe" },
        reason: "Probe",
    })
    let last = ""
    for (let i = 0; i < 150; i++) {
        try {
            await as.exec(["create", "--dry-run=server", "-f", "-"], { input: probe })
            last = "the dry-run create was allowed"
        } catch (e: any) {
            last = e.message
            if (/ValidatingAdmissionPolicy 'picokubelet-own-events'/.test(last)) return
        }
        await sleep(200)
    }
    throw new Error(`deploy/pod-policy.yaml not in force after 30 s: ${last}`)
}

export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
    const log = opts.log ?? console.log
    const nodeNames = [...new Set(opts.nodeNames?.length ? opts.nodeNames : [TEMPLATE_NODE])]
    for (const n of nodeNames)
        if (!BOOTSTRAP_GROUP.test(`system:bootstrappers:picokubelet:${n}`))
            throw new Error(`node name ${JSON.stringify(n)}: a bootstrap token's group system:bootstrappers:picokubelet:${n} must match ${BOOTSTRAP_GROUP} (no dots)`)
    const ensured = await ensureBinaries(opts.version ?? requestedVersion(), log)
    if ("skipped" in ensured) throw new Error(`real control plane unavailable: ${ensured.skipped}`)
    const { binaries, version }: Resolved = ensured.resolved
    const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), "picokubelet-cluster-"))
    const pkiDir = join(dataDir, "pki")
    const logDir = join(dataDir, "logs")
    mkdirSync(logDir, { recursive: true })
    const procs = new Processes(logDir)

    const ca = ensureCa(pkiDir, "ca", "picokubelet-local-ca")
    const serving = ensureCert(pkiDir, ca, {
        name: "apiserver",
        cn: "kube-apiserver",
        sans: ["DNS:localhost", "DNS:kubernetes", "DNS:kubernetes.default", "DNS:kubernetes.default.svc", "IP:127.0.0.1", "IP:10.43.0.1"],
        usage: "server",
    })
    const admin = ensureCert(pkiDir, ca, { name: "admin", cn: "kubernetes-admin", org: "system:masters", usage: "client" })
    const kcm = ensureCert(pkiDir, ca, { name: "controller-manager", cn: "system:kube-controller-manager", usage: "client" })
    const sched = ensureCert(pkiDir, ca, { name: "scheduler", cn: "system:kube-scheduler", usage: "client" })
    const sa = ensureKeyPair(pkiDir, "service-account")

    const [kinePort, apiPort, kcmPort, schedPort] = [await freePort(), await freePort(), await freePort(), await freePort()]
    const url = `https://localhost:${apiPort}`
    const files = {
        admin: join(dataDir, "admin.kubeconfig"),
        kcm: join(dataDir, "controller-manager.kubeconfig"),
        sched: join(dataDir, "scheduler.kubeconfig"),
    }
    writeFileSync(files.admin, kubeconfig(url, ca.certFile, "admin", admin), { mode: 0o600 })
    writeFileSync(files.kcm, kubeconfig(url, ca.certFile, "kube-controller-manager", kcm), { mode: 0o600 })
    writeFileSync(files.sched, kubeconfig(url, ca.certFile, "kube-scheduler", sched), { mode: 0o600 })

    const adminTls = { ca: readFileSync(ca.certFile, "utf8"), cert: readFileSync(admin.certFile, "utf8"), key: readFileSync(admin.keyFile, "utf8") }

    const waitFor = async (c: Component, what: string, timeoutMs: number, probe: () => Promise<boolean>) => {
        const deadline = Date.now() + timeoutMs
        while (Date.now() < deadline) {
            if (await probe()) return
            const gone = procs.exited(c)
            if (gone) break
            await sleep(250)
        }
        const why = procs.exited(c) ?? `not ${what} within ${timeoutMs / 1000} s`
        throw new Error(`${c} ${why}; the tail of ${procs.logFile(c)}:\n${logTail(procs.logFile(c))}`)
    }

    const apiserverArgs = [
        `--etcd-servers=http://127.0.0.1:${kinePort}`,
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        `--secure-port=${apiPort}`,
        `--tls-cert-file=${serving.certFile}`,
        `--tls-private-key-file=${serving.keyFile}`,
        `--client-ca-file=${ca.certFile}`,
        "--enable-bootstrap-token-auth",
        "--authorization-mode=Node,RBAC",
        "--enable-admission-plugins=NodeRestriction",
        "--anonymous-auth=false",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        `--service-account-key-file=${sa.publicFile}`,
        `--service-account-signing-key-file=${sa.privateFile}`,
        "--service-cluster-ip-range=10.43.0.0/16",
        "--allow-privileged=true",
        "--profiling=false",
    ]
    const auditLogFile = opts.auditLog ? join(logDir, "audit.log") : undefined
    if (auditLogFile) {
        const policy = join(dataDir, "audit-policy.yaml")
        // one event per request, at its end: the completed event carries the received time too
        writeFileSync(policy, "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n  - level: Metadata\n")
        apiserverArgs.push(`--audit-policy-file=${policy}`, `--audit-log-path=${auditLogFile}`)
    }
    const startApiServer = async () => {
        procs.start("kube-apiserver", binaries["kube-apiserver"], apiserverArgs, dataDir)
        await waitFor("kube-apiserver", "ready (/readyz)", 90000, async () => (await httpsStatus(apiPort, "/readyz", adminTls)) === 200)
    }

    const started = Date.now()
    try {
        // kine's default datastore is ./db/state.db under its working directory, SQLite as k3s runs it
        procs.start("kine", binaries.kine, [`--listen-address=127.0.0.1:${kinePort}`, "--metrics-bind-address=0"], dataDir)
        await waitFor("kine", "listening", 30000, () => tcpOpen(kinePort))
        await startApiServer()
        procs.start(
            "kube-controller-manager",
            binaries["kube-controller-manager"],
            [
                ...clientComponentFlags(files.kcm, kcmPort),
                "--controllers=*,tokencleaner",
                "--use-service-account-credentials",
                `--service-account-private-key-file=${sa.privateFile}`,
                `--root-ca-file=${ca.certFile}`,
                `--cluster-signing-cert-file=${ca.certFile}`,
                `--cluster-signing-key-file=${ca.keyFile}`,
                `--node-monitor-grace-period=${opts.nodeMonitorGracePeriodSeconds ?? 40}s`,
                `--node-monitor-period=${opts.nodeMonitorPeriodSeconds ?? 5}s`,
            ],
            dataDir
        )
        procs.start(
            "kube-scheduler",
            binaries["kube-scheduler"],
            clientComponentFlags(files.sched, schedPort),
            dataDir
        )
        await waitFor("kube-controller-manager", "healthy", 60000, async () => (await httpsStatus(kcmPort, "/healthz", {})) === 200)
        await waitFor("kube-scheduler", "healthy", 60000, async () => (await httpsStatus(schedPort, "/healthz", {})) === 200)

        const kubectl = new Kubectl(binaries.kubectl, files.admin)
        // ServiceAccount admission refuses pods until the controller made the namespace's default account
        await waitFor("kube-controller-manager", "creating default/default", 60000, async () =>
            (await kubectl.run("-n", "default", "get", "serviceaccount", "default", "--ignore-not-found", "-o", "name")).trim() !== ""
        )
        await kubectl.apply(rbacFor(nodeNames))
        const tokens = new Map<string, string>()
        for (const node of nodeNames) {
            const token = `${randomLower(6)}.${randomLower(16)}`
            const [id, secret] = token.split(".")
            await kubectl.apply(bootstrapTokenSecret(id, secret, node))
            tokens.set(node, token)
        }
        await kubectl.apply(serviceAccountTokenSecretsFor(nodeNames))
        await kubectl.apply(podPolicy())
        await waitForPodPolicy(kubectl, url, ca.certFile, tokens.get(nodeNames[0])!)
        const tokenFor = (node: string) => {
            const token = tokens.get(node)
            if (!token) throw new Error(`no identity for node ${node}: startCluster({ nodeNames }) names ${nodeNames.join(", ")}`)
            return token
        }
        log(`control plane ${version} ready on ${url} in ${((Date.now() - started) / 1000).toFixed(1)} s (logs: ${logDir})`)

        return {
            version,
            url,
            port: apiPort,
            caFile: ca.certFile,
            kubeconfigFile: files.admin,
            adminCert: admin,
            token: tokenFor(nodeNames[0]),
            nodeNames,
            tokenFor,
            dataDir,
            auditLogFile,
            kubectl,
            async serviceAccountToken(node = nodeNames[0]) {
                tokenFor(node) // a node startCluster made an identity for
                for (let i = 0; i < 100; i++) {
                    const encoded = (await kubectl.run("-n", "picokubelet", "get", "secret", `${node}-token`, "-o", "jsonpath={.data.token}")).trim()
                    if (encoded) return Buffer.from(encoded, "base64").toString("utf8")
                    await sleep(200) // the token controller fills it in
                }
                throw new Error(`the ServiceAccount token of picokubelet/${node} was never filled in by the token controller`)
            },
            async restartApiServer() {
                await procs.stop("kube-apiserver")
                await startApiServer()
            },
            stop: () => procs.stopAll(),
        }
    } catch (e) {
        await procs.stopAll()
        throw e
    }
}

export type { Binaries }
