// `npm run bench [-- --quick]`: every benchmark in one run against one API
// server emulator, then bench/out/report.md, wire-cost.svg and rack.svg,
// the report also printed. Exits non-zero only when something broke, never
// because a figure missed its goal. `-- --rack-only` runs the rack alone
// (bench/out/rack.md, rack.json, rack.svg; report.md is left as it is);
// `-- --peers-only` the peers on a real control plane with the emulator's
// wire cost to compare (bench/out/peers.md, peers.json, peers.svg).
import { execFileSync } from "node:child_process"
import { mkdirSync, writeFileSync } from "node:fs"
import { cpus, totalmem } from "node:os"
import { join } from "node:path"
import { ApiServer, startApiServer } from "../tools/apiserver"
import { acquireDevtoolsLock } from "../tools/simulator/lock"
import { REPO } from "../tools/simulator/project"
import { ensurePeers, PeerBinaries } from "../tools/peers/build"
import { benchBytecode } from "./bytecode"
import { wireCostSvg } from "./chart"
import { perHour } from "./cost"
import { benchRenewalChurn } from "./churn"
import { benchHeap } from "./heap"
import { Plan, plans } from "./plan"
import { benchPeers, heartbeatsPerHour, Peers } from "./peers"
import { benchRack, rackChart } from "./rack"
import { benchSoak, SOAK_RENEWALS, SOAK_RENEW_SECS } from "./soak"
import { peersSection, rackSection, renderReport, Results } from "./report"
import { benchTiming } from "./timing"
import { benchTransport } from "./transport"
import { benchWireCost, WireCost } from "./wire-cost"

const OUT = join(REPO, "bench", "out")

function parseArgs(argv: string[]): { plan: Plan; rackOnly: boolean; peersOnly: boolean } {
    const unknown = argv.filter(a => a !== "--quick" && a !== "--rack-only" && a !== "--peers-only")
    if (unknown.length) throw new Error(`unknown argument(s) ${unknown.join(" ")}; usage: npm run bench [-- --quick] [--rack-only | --peers-only]`)
    const plan = argv.includes("--quick") ? plans.quick : plans.full
    const peersOnly = argv.includes("--peers-only")
    if (peersOnly && !plan.peers) throw new Error("--peers-only: the quick plan has no peers; run it without --quick")
    return { plan, rackOnly: argv.includes("--rack-only"), peersOnly }
}

/** The peers' chart: bytes per node-hour per client, ours highlighted, the cheapest peer as the line to stay under. */
function peersChart(peers: Peers, subtitle: string): string {
    const costs = peers.clients.map(c => c.cost)
    const others = costs.filter(c => c.key !== "ours")
    const cheapest = (f: (c: (typeof costs)[number]) => number) => others.reduce((a, b) => (f(b) < f(a) ? b : a))
    const hb = cheapest(heartbeatsPerHour)
    const all = cheapest(c => perHour(c).total)
    return wireCostSvg(
        costs,
        [
            { label: `goal: below ${all.name}'s total`, bytes: perHour(all).total },
            { label: `goal: heartbeats below ${hb.name}'s (${(heartbeatsPerHour(hb) / 1024).toFixed(0)} KB/h)`, bytes: heartbeatsPerHour(hb) },
        ],
        subtitle,
        { title: "Bytes per node-hour on a real control plane", highlight: "ours" }
    )
}

/** The peers' binaries, built before the run takes the simulator turn (a cold build takes minutes). */
async function peerBinaries(plan: Plan): Promise<{ built?: PeerBinaries; skipped?: string }> {
    if (!plan.peers) return {}
    const r = await ensurePeers(line => console.error(line))
    return "skipped" in r ? { skipped: r.skipped } : { built: r.peers }
}

/** The peers, or why they were not measured (no binaries and no Go to build them). */
async function peersOrSkipped(plan: Plan, wire: WireCost, binaries: { built?: PeerBinaries; skipped?: string }): Promise<Peers> {
    if (!binaries.built) return { skipped: binaries.skipped, clients: [], emulator: wire.clients, goals: { heartbeats: false, total: false } }
    return benchPeers(plan, wire, binaries.built)
}

function commit(): string {
    const git = (...args: string[]) => execFileSync("git", args, { cwd: REPO, encoding: "utf8" }).trim()
    try {
        return git("rev-parse", "--short", "HEAD") + (git("status", "--porcelain", "--untracked-files=no") ? " (with local changes)" : "")
    } catch {
        return "unknown"
    }
}

const machine = () => `${cpus().length} CPU(s) ${cpus()[0]?.model.trim() ?? ""}, ${(totalmem() / 2 ** 30).toFixed(0)} GB, Node ${process.version}`

async function main() {
    const { plan, rackOnly, peersOnly } = parseArgs(process.argv.slice(2))
    const binaries = rackOnly ? {} : await peerBinaries(plan)
    // one simulator session at a time, machine-wide: the whole run holds the
    // turn (re-entrant for its own sessions), so no one else's simulator
    // shares the CPU while it measures, and waiting for it is not a step's time
    const waitFrom = Date.now()
    const release = await acquireDevtoolsLock(60 * 60 * 1000)
    const lockWaitSeconds = (Date.now() - waitFrom) / 1000
    if (lockWaitSeconds > 1) console.error(`bench: waited ${lockWaitSeconds.toFixed(0)} s for another simulator session to end`)
    const startedAt = new Date()
    const steps: Results["steps"] = []
    const step = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
        const t0 = Date.now()
        console.error(`bench: ${name} ...`)
        const result = await work()
        steps.push({ name, seconds: (Date.now() - t0) / 1000 })
        return result
    }

    if (rackOnly) {
        const api = await startApiServer({ port: 0, quiet: true, gracePeriodSeconds: 40 })
        try {
            const rack = await step("the rack (1 to N boards on one host)", () => benchRack(api, plan))
            const section = [
                `# picokubelet benchmarks: the rack alone`,
                "",
                `${plan.name} plan, ${startedAt.toISOString()}, commit ${commit()}, ${machine()}, ${steps[0].seconds.toFixed(0)} s ` +
                    `(\`npm run bench -- ${plan.name === "quick" ? "--quick " : ""}--rack-only\`).`,
                "",
                ...rackSection(rack, plan),
                "",
            ].join("\n")
            mkdirSync(OUT, { recursive: true })
            writeFileSync(join(OUT, "rack.md"), section)
            writeFileSync(join(OUT, "rack.json"), JSON.stringify({ plan, startedAt, steps, rack }, null, 2) + "\n")
            writeFileSync(join(OUT, "rack.svg"), rackChart(rack, `${plan.name} plan, rack alone, ${startedAt.toISOString().slice(0, 16)}Z`))
            console.log(section)
            console.error(`bench: wrote ${join(OUT, "rack.md")}, rack.json and rack.svg`)
        } finally {
            await api.stop()
            release()
        }
        return
    }

    if (peersOnly) {
        const api = await startApiServer({ port: 0, quiet: true, gracePeriodSeconds: 40, rbacManifests: [join(__dirname, "replay-rbac.yaml")] })
        try {
            const wire = await step("wire cost on the emulator (seed and kubelet replays, picokubelet)", () => benchWireCost(api, plan))
            const peers = await step("peers on a real control plane", () => peersOrSkipped(plan, wire, binaries))
            const total = steps.reduce((n, s) => n + s.seconds, 0)
            const section = [
                `# picokubelet benchmarks: peers on a real control plane`,
                "",
                `${plan.name} plan, ${startedAt.toISOString()}, commit ${commit()}, ${machine()}, ${total.toFixed(0)} s ` +
                    `(\`npm run bench -- --peers-only\`: ${steps.map(s => `${s.name} ${s.seconds.toFixed(0)} s`).join(", ")}).`,
                "",
                ...peersSection(peers, plan),
                "",
            ].join("\n")
            mkdirSync(OUT, { recursive: true })
            writeFileSync(join(OUT, "peers.md"), section)
            writeFileSync(join(OUT, "peers.json"), JSON.stringify({ plan, startedAt, steps, wire, peers }, null, 2) + "\n")
            if (peers.clients.length) writeFileSync(join(OUT, "peers.svg"), peersChart(peers, `${plan.name} plan, peers alone, ${startedAt.toISOString().slice(0, 16)}Z`))
            console.log(section)
            console.error(`bench: wrote ${join(OUT, "peers.md")}, peers.json${peers.clients.length ? " and peers.svg" : ""}`)
        } finally {
            await api.stop()
            release()
        }
        return
    }

    // the build comes first: devtools deploys build too, into the same node_modules
    const bytecode = await step("bytecode (devs build --stats)", () => benchBytecode())
    const transport = await step("transport benchmark", () => benchTransport(plan.transportRequests))
    let api: ApiServer | undefined
    try {
        api = await startApiServer({ port: 0, quiet: true, gracePeriodSeconds: 40, rbacManifests: [join(__dirname, "replay-rbac.yaml")] })
        const emulator = api
        const wire = await step("wire cost (seed and kubelet replays, picokubelet)", () => benchWireCost(emulator, plan))
        const timing = await step("time to Ready and recovery", () => benchTiming(emulator, plan))
        const churn = await step("renewal intervals with and without pod churn", () => benchRenewalChurn(emulator, plan))
        const heap = await step(`heap headroom bisection (with pods, without${plan.heap.pull ? ", during a pull" : ""})`, () => benchHeap(emulator, plan))
        // a day's renewals take hours: the full run only
        const soak =
            plan.name === "full"
                ? await step(`a simulated day (${SOAK_RENEWALS} renewals at RENEW_SECS=${SOAK_RENEW_SECS})`, () => benchSoak(emulator, heap.passedKb, { renewals: SOAK_RENEWALS }))
                : undefined
        const rack = await step("the rack (1 to N boards on one host)", () => benchRack(emulator, plan))
        const peers = plan.peers ? await step("peers on a real control plane", () => peersOrSkipped(plan, wire, binaries)) : undefined
        const results: Results = {
            plan,
            command: plan.name === "quick" ? "npm run bench -- --quick" : "npm run bench",
            startedAt,
            commit: commit(),
            machine: machine(),
            emulatorUrl: emulator.url,
            lockWaitSeconds,
            steps,
            wire,
            heap,
            soak,
            timing,
            churn,
            bytecode,
            transport,
            rack,
            peers,
        }
        const report = renderReport(results)
        mkdirSync(OUT, { recursive: true })
        writeFileSync(join(OUT, "report.md"), report)
        writeFileSync(join(OUT, "results.json"), JSON.stringify(results, null, 2) + "\n")
        const [, seed, kubelet] = wire.clients.map(perHour)
        const goals = [
            { label: `goal: ${wire.goalValues.vsSeed}x the seed`, bytes: wire.goalValues.vsSeed * seed.total },
            { label: `goal: ${wire.goalValues.vsKubelet}x the kubelet`, bytes: wire.goalValues.vsKubelet * kubelet.total },
        ]
        writeFileSync(join(OUT, "wire-cost.svg"), wireCostSvg(wire.clients, goals, `${plan.name} run, ${startedAt.toISOString().slice(0, 16)}Z`))
        writeFileSync(join(OUT, "rack.svg"), rackChart(rack, `${plan.name} run, ${startedAt.toISOString().slice(0, 16)}Z`))
        if (peers?.clients.length) writeFileSync(join(OUT, "peers.svg"), peersChart(peers, `${plan.name} run, ${startedAt.toISOString().slice(0, 16)}Z`))
        console.log(report)
        console.error(`bench: wrote ${join(OUT, "report.md")}, results.json, wire-cost.svg, rack.svg${peers?.clients.length ? " and peers.svg" : ""}`)
    } finally {
        await api?.stop()
        release()
    }
}

main().then(
    () => process.exit(0),
    e => {
        console.error(`bench: failed: ${e?.stack ?? e}`)
        process.exit(1)
    }
)
