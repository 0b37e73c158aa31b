// `npm start`: the firmware in the simulator against the bundled API server
// emulator, a real control plane on this machine (`-- --real`), or a real
// cluster when .env.local names one, with a live view of the node. Ctrl-C
// stops everything this started.
import { readFileSync } from "node:fs"
import { request } from "node:https"
import { join } from "node:path"
import { startApiServer, ApiServer } from "./apiserver"
import { startCluster } from "./cluster"
import { nodesWide } from "./apiserver/printers"
import { Simulator } from "./simulator"
import { readEnvFile, REPO, Settings } from "./simulator/project"
import { isTokenPartKey, settingsToken } from "../src/settings/settings"

const LOCAL_HOSTS = ["", "localhost", "127.0.0.1"]
const TTY = process.stdout.isTTY
const REFRESH_MS = TTY ? 1000 : 15000

interface Target {
    settings: Settings
    vmEnv: Record<string, string>
    label: string
    nodeRow(): Promise<string>
    stop(): Promise<void>
}

/** The user's settings pointed at a server this process started, with its token. */
function localSettings(user: Settings, port: number, token: string): Settings {
    const settings: Settings = { ...user, K3S_HOST: "localhost", K3S_PORT: port, K3S_TLS: true, K3S_TOKEN: token }
    for (const key of Object.keys(settings)) if (isTokenPartKey(key)) delete settings[key]
    return settings
}

async function emulatorTarget(user: Settings): Promise<Target> {
    const api: ApiServer = await startApiServer({ port: 0, quiet: true })
    return {
        settings: localSettings(user, api.port, api.tokens.bootstrap),
        vmEnv: { NODE_EXTRA_CA_CERTS: api.caFile! },
        label: `emulator ${api.url} (CA ${api.caFile}, admin kubeconfig ${api.kubeconfigFile})`,
        nodeRow: async () => api.getNodesWide(),
        stop: () => api.stop(),
    }
}

/** kube-apiserver, controller-manager and scheduler built from Go modules, on loopback. */
async function realTarget(user: Settings): Promise<Target> {
    const node = String(user.NODE_NAME)
    const cluster = await startCluster({ nodeNames: [node], log: line => console.log(`picokubelet: ${line}`) })
    return {
        settings: localSettings(user, cluster.port, cluster.token),
        vmEnv: { NODE_EXTRA_CA_CERTS: cluster.caFile },
        label:
            `real control plane ${cluster.version} ${cluster.url}\n` +
            `  kubectl: KUBECONFIG=${cluster.kubeconfigFile} ${cluster.kubectl.path} get nodes -o wide`,
        nodeRow: () => cluster.kubectl.run("get", "node", node, "-o", "wide").catch(e => `${e.message}\n`),
        stop: () => cluster.stop(),
    }
}

/** Reads the node back from the cluster with the device's own token. */
function clusterTarget(user: Settings): Target {
    const caFile = user.K3S_CA_FILE ? String(user.K3S_CA_FILE) : ""
    const token = settingsToken(user)
    const ca = caFile ? readFileSync(caFile) : undefined
    const nodeRow = () =>
        new Promise<string>(resolve => {
            const req = request(
                {
                    host: String(user.K3S_HOST),
                    port: Number(user.K3S_PORT ?? 6443),
                    path: `/api/v1/nodes/${user.NODE_NAME}`,
                    headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
                    ca,
                    timeout: 5000,
                },
                res => {
                    let body = ""
                    res.on("data", d => (body += d))
                    res.on("end", () =>
                        resolve(res.statusCode === 200 ? nodesWide([JSON.parse(body)], Date.now()) : `GET node: HTTP ${res.statusCode}\n`)
                    )
                }
            )
            req.on("error", e => resolve(`GET node: ${e.message}\n`))
            req.on("timeout", () => req.destroy(new Error("timed out")))
            req.end()
        })
    return {
        settings: user,
        vmEnv: caFile ? { NODE_EXTRA_CA_CERTS: caFile } : {},
        label: `cluster https://${user.K3S_HOST}:${user.K3S_PORT ?? 6443}${caFile ? ` (CA ${caFile})` : ""}`,
        nodeRow,
        stop: async () => {},
    }
}

/** What the firmware's log lines say about the node, for the live view. */
class Watch {
    renewals = "0"
    lastRenewal = 0
    lastStatus = "none yet"
    lastStatusAt = 0
    led = "?"
    tail: string[] = []

    take(line: string) {
        this.tail.push(line)
        if (this.tail.length > 12) this.tail.shift()
        let m: RegExpExecArray | null
        if ((m = /^lease: renewed #(\d+)/.exec(line))) {
            this.renewals = m[1]
            this.lastRenewal = Date.now()
        } else if ((m = /^status: posted \(([^)]*)\)/.exec(line))) {
            this.lastStatus = m[1]
            this.lastStatusAt = Date.now()
        } else if ((m = /^led: (\w+)$/.exec(line))) this.led = m[1]
    }
}

function ago(t: number): string {
    return t ? `${Math.round((Date.now() - t) / 1000)} s ago` : "never"
}

async function main() {
    const user = { ...readEnvFile(join(REPO, ".env.defaults")), ...readEnvFile(join(REPO, ".env.local")) }
    const local = readEnvFile(join(REPO, ".env.local"))
    // a cluster on this machine is named by its CA file, since its host is local
    const useCluster = !LOCAL_HOSTS.includes(String(local.K3S_HOST ?? "")) || !!local.K3S_CA_FILE
    const real = process.argv.includes("--real")
    if (real && useCluster) throw new Error("--real starts a control plane on this machine; .env.local names another cluster (K3S_HOST / K3S_CA_FILE)")
    const target = real ? await realTarget(user) : useCluster ? clusterTarget(user) : await emulatorTarget(user)
    const watch = new Watch()
    console.log(`picokubelet: starting the simulator against the ${target.label}`)
    const sim = await Simulator.start({
        settings: target.settings,
        vmEnv: target.vmEnv,
        // the simulated network interface reports NODE_IP when it is set
        platform: user.NODE_IP ? { ip: String(user.NODE_IP) } : {},
        onLog: line => {
            watch.take(line)
            if (!TTY) console.log(`  | ${line}`)
        },
    })

    let stopping = false
    const stop = async (why: string) => {
        if (stopping) return
        stopping = true
        console.log(`\n${why}: stopping the simulator${useCluster ? "" : real ? " and the control plane" : " and the emulator"}`)
        await sim.stop()
        await target.stop()
        process.exit(0)
    }
    process.on("SIGINT", () => void stop("Ctrl-C"))
    process.on("SIGTERM", () => void stop("SIGTERM"))

    const render = async () => {
        const row = await target.nodeRow()
        const view = [
            `picokubelet in the simulator -> ${target.label}    Ctrl-C to stop`,
            "",
            row.trimEnd() || "(no node yet)",
            "",
            `lease renewals: ${watch.renewals} (last ${ago(watch.lastRenewal)})   ` +
                `last status post: ${watch.lastStatus} (${ago(watch.lastStatusAt)})   LED: ${watch.led}`,
        ]
        if (TTY) {
            view.push("", "firmware log:", ...watch.tail.map(l => `  ${l}`))
            process.stdout.write("\x1b[2J\x1b[H" + view.join("\n") + "\n")
        } else console.log(view.slice(2).join("\n"))
    }
    for (;;) {
        await render().catch(e => console.error(`live view: ${e.message}`))
        await new Promise(r => setTimeout(r, REFRESH_MS))
    }
}

main().catch(e => {
    console.error(`picokubelet: ${e.message}`)
    process.exit(1)
})
