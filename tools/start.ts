// `npm start [-- --boards N] [-- --real]`: the firmware on N simulated
// boards (default 1) against the bundled API server emulator, a real control
// plane on this machine (--real), or a real cluster when .env.local names
// one, in one live view you can play with (pull a board's cable, power it
// off). Ctrl-C stops everything this started.
import { readFileSync } from "node:fs"
import { request } from "node:https"
import { join } from "node:path"
import { startApiServer } from "./apiserver"
import { startCluster } from "./cluster"
import { decodeKeys, KeyAction } from "./rack/keys"
import { nodeCells, NodeLike } from "./rack/nodes"
import { BoardState, BoardView, ENTER, LEAVE, paint, renderLines, renderPlain, watchFields } from "./rack/view"
import { ledNow, Watch } from "./rack/watch"
import { startRegistry } from "./registry"
import { Board, SimulatorHost } from "./simulator"
import { readEnvFile, REPO, Settings } from "./simulator/project"
import { isTokenPartKey, settingsToken } from "../src/settings/settings"

const LOCAL_HOSTS = ["", "localhost", "127.0.0.1"]
const TTY = !!process.stdout.isTTY
/** Often enough for the LED's breathing to show. */
const FRAME_MS = TTY ? 250 : 15000
const NODES_EVERY_MS = 2000
const MAX_BOARDS = 32

interface Target {
    label: string
    /** Settings of board `i` (0-based) named `node`. */
    settings(node: string): Settings
    vmEnv: Record<string, string>
    /** The nodes as the API server reports them. */
    nodes(names: string[]): Promise<NodeLike[]>
    stop(): Promise<void>
}

/** The user's settings pointed at a server this process started, with the board's token. */
function localSettings(user: Settings, node: string, port: number, token: string): Settings {
    const settings: Settings = { ...user, NODE_NAME: node, K3S_HOST: "localhost", K3S_PORT: port, K3S_TLS: true, K3S_TOKEN: token }
    for (const key of Object.keys(settings)) if (isTokenPartKey(key)) delete settings[key]
    return settings
}

async function emulatorTarget(user: Settings): Promise<Target> {
    const api = await startApiServer({ port: 0, quiet: true })
    return {
        label: `emulator ${api.url} (CA ${api.caFile}, admin kubeconfig ${api.kubeconfigFile})`,
        settings: node => localSettings(user, node, api.port, api.tokens.bootstrap),
        vmEnv: { NODE_EXTRA_CA_CERTS: api.caFile! },
        nodes: async names => names.map(n => api.store.getNode(n)).filter(n => n) as NodeLike[],
        stop: () => api.stop(),
    }
}

/** kube-apiserver, controller-manager and scheduler built from Go modules, on loopback: a token per board. */
async function realTarget(user: Settings, names: string[]): Promise<Target> {
    const log = (line: string) => console.log(`picokubelet: ${line}`)
    const cluster = await startCluster({ nodeNames: names, log })
    // and a real OCI registry, for firmware updates (README: Firmware updates)
    const registry = await startRegistry({ log }).catch(async e => {
        await cluster.stop()
        throw e
    })
    const kubeconfig = `KUBECONFIG=${cluster.kubeconfigFile}`
    return {
        label:
            `real control plane ${cluster.version} ${cluster.url}; kubectl: ${kubeconfig} ${cluster.kubectl.path} get nodes -o wide\n` +
            `registry ${registry.url}: npm run firmware:push -- ${registry.host}/picokubelet/firmware:v2, then ${kubeconfig} npm run rollout -- <the printed reference>`,
        settings: node => localSettings(user, node, cluster.port, cluster.tokenFor(node)),
        vmEnv: { NODE_EXTRA_CA_CERTS: cluster.caFile },
        nodes: async () => (await cluster.kubectl.json("get", "nodes")).items,
        stop: async () => {
            await registry.stop()
            await cluster.stop()
        },
    }
}

/** GET one node with the board's own token (it may read its own Node and nothing else). */
function getNode(user: Settings, name: string, token: string, ca: Buffer | undefined): Promise<NodeLike | undefined> {
    return new Promise(resolve => {
        const req = request(
            {
                host: String(user.K3S_HOST),
                port: Number(user.K3S_PORT ?? 6443),
                path: `/api/v1/nodes/${name}`,
                headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
                ca,
                timeout: 5000,
            },
            res => {
                let body = ""
                res.on("data", d => (body += d))
                res.on("end", () => resolve(res.statusCode === 200 ? JSON.parse(body) : undefined))
            }
        )
        req.on("error", () => resolve(undefined))
        req.on("timeout", () => req.destroy(new Error("timed out")))
        req.end()
    })
}

/** The cluster .env.local names; every board uses its token (RBAC per node name is the cluster's). */
function clusterTarget(user: Settings): Target {
    const caFile = user.K3S_CA_FILE ? String(user.K3S_CA_FILE) : ""
    const token = settingsToken(user)
    const ca = caFile ? readFileSync(caFile) : undefined
    return {
        label: `cluster https://${user.K3S_HOST}:${user.K3S_PORT ?? 6443}${caFile ? ` (CA ${caFile})` : ""}`,
        settings: node => ({ ...user, NODE_NAME: node }),
        vmEnv: caFile ? { NODE_EXTRA_CA_CERTS: caFile } : {},
        nodes: async names => (await Promise.all(names.map(n => getNode(user, n, token, ca)))).filter(n => n) as NodeLike[],
        stop: async () => {},
    }
}

/** One board of the rack: the simulator's, the firmware's log as read so far, and what the user did to it. */
interface RackBoard {
    node: string
    board?: Board
    watch: Watch
    cablePulled: boolean
    /** Booting and being deployed, or powering on. */
    starting: boolean
}

function parseArgs(argv: string[]) {
    const real = argv.includes("--real")
    const at = argv.indexOf("--boards")
    const boards = at < 0 ? 1 : Number(argv[at + 1])
    if (!Number.isInteger(boards) || boards < 1 || boards > MAX_BOARDS)
        throw new Error(`--boards: ${argv[at + 1] ?? "(missing)"} is not a number of boards from 1 to ${MAX_BOARDS}`)
    return { real, boards }
}

/** NODE_NAME for one board; NODE_NAME-01 .. -NN for a rack (NODE_NAME is the prefix). */
function boardNames(prefix: string, n: number): string[] {
    if (n === 1) return [prefix]
    return Array.from({ length: n }, (_, i) => `${prefix}-${String(i + 1).padStart(2, "0")}`)
}

async function main() {
    const { real, boards: count } = parseArgs(process.argv.slice(2))
    const user = { ...readEnvFile(join(REPO, ".env.defaults")), ...readEnvFile(join(REPO, ".env.local")) }
    const local = readEnvFile(join(REPO, ".env.local"))
    // a cluster on this machine is named by its CA file, since its host is local
    const useCluster = !LOCAL_HOSTS.includes(String(local.K3S_HOST ?? "")) || !!local.K3S_CA_FILE
    if (real && useCluster) throw new Error("--real starts a control plane on this machine; .env.local names another cluster (K3S_HOST / K3S_CA_FILE)")
    const names = boardNames(String(user.NODE_NAME), count)
    const target = real ? await realTarget(user, names) : useCluster ? clusterTarget(user) : await emulatorTarget(user)
    console.log(`picokubelet: ${count} simulated board(s) against the ${target.label}`)
    // one board has the bus to itself; a rack shares it, each board's roles bound to its own services
    const host = await SimulatorHost.start(() => {}, count > 1)
    const rack: RackBoard[] = names.map(node => ({ node, watch: new Watch(), cablePulled: false, starting: false }))
    let nodes: NodeLike[] = []
    let selected = 0
    let message = ""

    let stopping = false
    const stop = async (why: string) => {
        if (stopping) return
        stopping = true
        if (TTY) {
            process.stdout.write(LEAVE)
            if (process.stdin.isTTY) process.stdin.setRawMode(false)
        }
        console.log(`${why}: stopping the simulator${useCluster ? "" : real ? " and the control plane" : " and the emulator"}`)
        await host.stop()
        await target.stop()
        process.exit(0)
    }
    process.on("SIGINT", () => void stop("Ctrl-C"))
    process.on("SIGTERM", () => void stop("SIGTERM"))
    // the terminal went away (tmux killed, ssh dropped): take the VMs down with us
    process.on("SIGHUP", () => void stop("SIGHUP"))

    const rows = (): BoardView[] =>
        rack.map((r, index) => {
            const b = r.board
            const state: BoardState = !b ? (r.starting ? "starting" : "powered off") : b.crashed !== undefined ? "crashed" : !b.poweredOn ? "powered off" : r.cablePulled ? "cable pulled" : "running"
            return {
                index,
                node: r.node,
                ...nodeCells(nodes, r.node),
                ledRgb: ledNow(r.watch, Date.now()),
                ...watchFields(r.watch),
                state,
                exitCode: typeof b?.crashed === "number" ? b.crashed : undefined,
            }
        })

    const act = async (a: KeyAction) => {
        if (a.kind === "quit") return stop("quit")
        if (a.kind === "select") {
            selected = a.index
            return
        }
        const r = rack[a.index]
        const b = r.board
        if (!b) return
        if (a.kind === "cable") {
            r.cablePulled = !r.cablePulled
            await b.platform?.setLink(!r.cablePulled)
            message = `${r.node}: cable ${r.cablePulled ? "pulled" : "plugged back in"}`
        } else if (b.poweredOn) {
            message = `${r.node}: powered off`
            await b.powerOff()
        } else {
            message = `${r.node}: powering on`
            await b.powerOn()
            message = `${r.node}: powered on`
        }
    }
    if (TTY && process.stdin.isTTY) {
        process.stdin.setRawMode(true)
        process.stdin.on("data", chunk => {
            for (const a of decodeKeys(chunk, selected, rack.length)) act(a).catch(e => (message = `${e.message}`))
        })
    }

    const render = () => {
        const now = Date.now()
        if (!TTY) return console.log(renderPlain(rows(), target.label, now).join("\n"))
        let lines = renderLines(rows(), { target: target.label, now, width: process.stdout.columns ?? 100, height: process.stdout.rows ?? 30, ansi: true, selected, message })
        // one board: its firmware log below the table, as much as fits
        const room = (process.stdout.rows ?? 30) - lines.length - 2
        if (rack.length === 1 && room > 0) lines = lines.concat(["", ...rack[0].watch.tail.slice(-room).map(l => `  ${l}`.slice(0, (process.stdout.columns ?? 100) - 1))])
        process.stdout.write(paint(lines))
    }
    if (TTY) {
        // libraries (jacdac-ts) print to the console: in the live view it would tear the frame
        for (const k of ["log", "info", "debug", "warn"] as const) console[k] = () => {}
        process.stdout.write(ENTER)
        process.stdout.on("resize", render)
    }
    setInterval(render, FRAME_MS)
    const poll = async () => {
        for (;;) {
            nodes = await target.nodes(names).catch(() => nodes)
            await new Promise(r => setTimeout(r, NODES_EVERY_MS))
        }
    }
    void poll()
    // staggered: each board boots and is deployed before the next starts
    for (const [i, r] of rack.entries()) {
        if (stopping) break
        message = `starting ${r.node} (${i + 1}/${rack.length})`
        r.starting = true
        r.board = await host.addBoard({
            settings: target.settings(r.node),
            vmEnv: target.vmEnv,
            // the simulated network interface reports NODE_IP when it is set (one board), else 192.168.0.1NN
            platform: { ip: count === 1 && user.NODE_IP ? String(user.NODE_IP) : `192.168.0.${100 + i + 1}` },
            onLog: line => {
                r.watch.take(line)
                if (!TTY) console.log(`  ${r.node} | ${line}`)
            },
            onCrash: code => (message = `${r.node}: the VM exited (${code})`),
        })
        r.starting = false
    }
    message = ""
}

main().catch(e => {
    if (TTY) process.stdout.write(LEAVE)
    console.error(`picokubelet: ${e.message}`)
    process.exit(1)
})
