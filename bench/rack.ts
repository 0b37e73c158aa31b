// The rack (issue 14): N simulated boards on one devtools and one Jacdac bus
// (tools/simulator's SimulatorHost, as `npm start -- --boards N` runs them),
// against the bench's emulator, for each N of the plan. Per N: the time
// until every node is Ready from the first addBoard call (boards boot one
// after another, as npm start does), then a steady window in which the host's
// cost (RSS and CPU seconds of the VM processes, of devtools, of this process)
// and each node's API load (its requests and their bytes, from the emulator's
// log) are measured. The one-board baseline is a rack of 1, or (quick plan)
// the first rack's first board measured again alone once that rack's other
// boards are powered off: one host and one boot fewer. Every board and the
// host are stopped after each N, and no process of theirs may be left.
// Figures are printed, never asserted.
import { readdirSync, readFileSync } from "node:fs"
import { cpus, totalmem } from "node:os"
import type { ApiServer, LogEntry } from "../tools/apiserver"
import { Board, SimulatorHost } from "../tools/simulator"
import { eventually } from "../test/harness/admin"
import { RackPanel, rackSvg } from "./chart"
import { Plan } from "./plan"

/** Linux reports CPU times in USER_HZ ticks, 100 a second on every architecture. */
const TICKS = 100
/** Per-board API load at N boards equal to one board's within this share (no cross-talk). */
export const API_TOLERANCE = 0.1
/** Per-board host cost (RSS, CPU) at N boards equal to one board's within this share (cost linear in N). */
export const HOST_TOLERANCE = 0.25

/** One node's requests in the window, by stream. */
export interface NodeLoad {
    node: string
    requests: number
    up: number
    down: number
    renewals: number
    statusPosts: number
    podListings: number
    other: number
}

export interface ProcCost {
    /** Mean RSS over the window's samples, bytes (all processes of the kind together). */
    rss: number
    /** CPU seconds (user + system) in the window. */
    cpuSeconds: number
    processes: number
}

export interface RackSample {
    boards: number
    /** First addBoard call to the last node's Ready=True (the emulator's clock, Date.now). */
    readyMs?: number
    /** Each board's addBoard (VM start, build, deploy, role binding), in order. */
    bootMs: number[]
    /** Each node's Ready=True after the first addBoard call. */
    readyEachMs: number[]
    windowSeconds: number
    vms: ProcCost
    devtools: ProcCost
    /** This process: the emulator, the Jacdac bus, the platform services, the bench. */
    bench: ProcCost
    /** Share of all the machine's CPU time that was busy in the window (100 % = every core). */
    machineBusyPct: number
    /** The same from the first addBoard call until every node was Ready; undefined for a first board measured alone (its rack booted). */
    bootBusyPct?: number
    nodes: NodeLoad[]
    /** Requests in the window no node's path names. */
    unattributed: number
    /** Longest gap between two renewals of one node in the window, ms. */
    maxRenewalGapMs?: number
    /** Processes of the host still alive after it stopped (should be none). */
    leftover: number
    /** What went wrong (a board that did not boot or died): the larger racks were not tried. */
    failed?: string
    tookSeconds: number
}

export interface Rack {
    samples: RackSample[]
    statusSecs: number
    renewSecs: number
    cores: number
    totalMemBytes: number
    goals: { apiEqual?: boolean; hostLinear?: boolean }
    /** Per-board mean bytes/s at each N over one board's, and RSS and CPU per board likewise. */
    ratios: { boards: number; api: number; requests: number; rss: number; cpu: number }[]
    /** Estimates from the fitted lines: boards at which the cores or the memory run out. */
    limits: { cpuBoards?: number; memBoards?: number; bootSecondsPerBoard?: number }
}

/** Name of the node a request of the firmware concerns: its Node, its Lease, the listing of its pods. */
export function nodeOfPath(path: string): string | undefined {
    const m =
        /^\/api\/v1\/nodes\/([^/?]+)/.exec(path) ??
        /^\/apis\/coordination\.k8s\.io\/v1\/namespaces\/kube-node-lease\/leases\/([^/?]+)/.exec(path) ??
        /[?&]fieldSelector=[^&]*?spec\.nodeName(?:%3D|=)(.+?)(?:%2C|,|&|$)/.exec(path)
    return m ? decodeURIComponent(m[1]) : undefined
}

const isRenewal = (e: LogEntry) => e.method === "PATCH" && e.path.includes("/leases/")
const isStatus = (e: LogEntry) => e.method === "PATCH" && /^\/api\/v1\/nodes\/[^/]+\/status/.test(e.path)
const isPodList = (e: LogEntry) => e.method === "GET" && e.path.startsWith("/api/v1/pods?")

export function nodeLoads(entries: LogEntry[], nodes: string[]): { loads: NodeLoad[]; unattributed: number } {
    const loads = new Map(nodes.map(node => [node, { node, requests: 0, up: 0, down: 0, renewals: 0, statusPosts: 0, podListings: 0, other: 0 }]))
    let unattributed = 0
    for (const e of entries) {
        const load = loads.get(nodeOfPath(e.path) ?? "")
        if (!load) {
            unattributed++
            continue
        }
        load.requests++
        load.up += e.bytesIn
        load.down += e.bytesOut
        if (isRenewal(e)) load.renewals++
        else if (isStatus(e)) load.statusPosts++
        else if (isPodList(e)) load.podListings++
        else load.other++
    }
    return { loads: [...loads.values()], unattributed }
}

interface ProcStat {
    pid: number
    pgrp: number
    ticks: number
}

/** Every process's group and CPU ticks, from /proc. */
function procStats(): ProcStat[] {
    const out: ProcStat[] = []
    for (const name of readdirSync("/proc")) {
        if (!/^\d+$/.test(name)) continue
        try {
            const stat = readFileSync(`/proc/${name}/stat`, "utf8")
            // the command name is in parentheses and may hold spaces
            const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
            out.push({ pid: +name, pgrp: +f[2], ticks: +f[11] + +f[12] })
        } catch {
            // gone meanwhile
        }
    }
    return out
}

function rssOf(pid: number): number {
    try {
        const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))
        return m ? +m[1] * 1024 : 0
    } catch {
        return 0
    }
}

/** The devtools process: our child whose command line runs `devtools`. */
function devtoolsPid(): number | undefined {
    for (const s of procStats()) {
        try {
            const stat = readFileSync(`/proc/${s.pid}/stat`, "utf8")
            const ppid = +stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]
            if (ppid !== process.pid) continue
            const argv = readFileSync(`/proc/${s.pid}/cmdline`, "utf8").split("\0")
            if (argv.includes("devtools")) return s.pid
        } catch {
            // gone meanwhile
        }
    }
    return undefined
}

/** Busy and total jiffies of the whole machine. */
function machineTicks(): { busy: number; total: number } {
    const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number)
    // user nice system idle iowait irq softirq steal (guest time is already in user)
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0)
    return { busy: total - f[3] - f[4], total }
}

/** A kind of process is its leaders' process groups (each child leads its own). */
class ProcGroup {
    private rssSamples: number[] = []
    private startTicks = 0
    private endTicks = 0
    constructor(private leaders: number[]) {}
    private ticks(stats: ProcStat[]) {
        return stats.filter(s => this.leaders.includes(s.pgrp)).reduce((n, s) => n + s.ticks, 0)
    }
    start(stats: ProcStat[]) {
        this.startTicks = this.ticks(stats)
    }
    end(stats: ProcStat[]) {
        this.endTicks = this.ticks(stats)
    }
    sample(stats: ProcStat[]) {
        this.rssSamples.push(stats.filter(s => this.leaders.includes(s.pgrp)).reduce((n, s) => n + rssOf(s.pid), 0))
    }
    cost(stats: ProcStat[]): ProcCost {
        return {
            rss: mean(this.rssSamples),
            cpuSeconds: (this.endTicks - this.startTicks) / TICKS,
            processes: stats.filter(s => this.leaders.includes(s.pgrp)).length,
        }
    }
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0)
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

/** Names as `npm start -- --boards N` gives them: PREFIX-01 .. PREFIX-NN. */
const nodeNames = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${String(i + 1).padStart(2, "0")}`)

const emptySample = (boards: number): RackSample => ({
    boards,
    bootMs: [],
    readyEachMs: [],
    windowSeconds: 0,
    vms: { rss: 0, cpuSeconds: 0, processes: 0 },
    devtools: { rss: 0, cpuSeconds: 0, processes: 0 },
    bench: { rss: 0, cpuSeconds: 0, processes: 1 },
    machineBusyPct: 0,
    nodes: [],
    unattributed: 0,
    leftover: 0,
    tookSeconds: 0,
})

/** The steady window: the host's cost and the API load of `names` (the boards whose VMs lead `vmLeaders`) into `sample`. */
async function steadyWindow(api: ApiServer, sample: RackSample, names: string[], vmLeaders: number[], devtools: number | undefined, plan: Plan) {
    const vms = new ProcGroup(vmLeaders)
    const dev = new ProcGroup(devtools ? [devtools] : [])
    const benchRss: number[] = []
    let stats = procStats()
    vms.start(stats)
    dev.start(stats)
    const cpu0 = process.cpuUsage()
    const machine0 = machineTicks()
    const from = Date.now()
    const windowMs = plan.rack.windowSeconds * 1000
    // RSS sampled every 2 s through the window
    while (Date.now() - from < windowMs) {
        await sleep(Math.min(2000, from + windowMs - Date.now()))
        stats = procStats()
        vms.sample(stats)
        dev.sample(stats)
        benchRss.push(process.memoryUsage().rss)
    }
    const to = Date.now()
    stats = procStats()
    vms.end(stats)
    dev.end(stats)
    const cpu = process.cpuUsage(cpu0)
    const machine1 = machineTicks()
    sample.windowSeconds = (to - from) / 1000
    sample.vms = vms.cost(stats)
    sample.devtools = dev.cost(stats)
    sample.bench = { rss: mean(benchRss), cpuSeconds: (cpu.user + cpu.system) / 1e6, processes: 1 }
    sample.machineBusyPct = (100 * (machine1.busy - machine0.busy)) / Math.max(1, machine1.total - machine0.total)

    // the emulator's clock is Date.now(): the window's requests by their completion time
    const entries = api.log.entries.filter(e => e.time >= from && e.time < to)
    const { loads, unattributed } = nodeLoads(entries, names)
    sample.nodes = loads
    sample.unattributed = unattributed
    const gaps = names.flatMap(node => {
        const times = entries.filter(e => isRenewal(e) && nodeOfPath(e.path) === node && e.status === 200).map(e => e.time)
        return times.slice(1).map((t, i) => t - times[i])
    })
    sample.maxRenewalGapMs = gaps.length ? Math.max(...gaps) : undefined
}

/**
 * A rack of `n` boards on a host of its own, booted and measured; with
 * `alone`, its other boards are then powered off and its first board is
 * measured again by itself: the one-board sample, first of the two returned.
 */
async function runRack(api: ApiServer, n: number, plan: Plan, alone: boolean): Promise<RackSample[]> {
    const t0 = Date.now()
    const names = nodeNames(`esp-rack${n}`, n)
    const sample = emptySample(n)
    const samples = [sample]
    // a failure belongs to the sample being measured
    let current = sample
    const problems: string[] = []
    const boards: Board[] = []
    const host = await SimulatorHost.start()
    const leaders: number[] = []
    const vmsOf = (bs: Board[]) => bs.flatMap(b => (b.pid ? [b.pid] : []))
    let aloneFrom = 0
    try {
        const devtools = devtoolsPid()
        if (devtools) leaders.push(devtools)
        const first = Date.now()
        const boot0 = machineTicks()
        for (const [i, node] of names.entries()) {
            const bootStart = Date.now()
            let starts = 0
            const board = await host.addBoard({
                settings: {
                    K3S_HOST: "localhost",
                    K3S_PORT: api.port,
                    K3S_TOKEN: api.tokens.bootstrap,
                    NODE_NAME: node,
                    RENEW_SECS: plan.rack.renewSecs,
                    LEASE_SECS: 40,
                    STATUS_SECS: plan.rack.statusSecs,
                },
                vmEnv: { NODE_EXTRA_CA_CERTS: api.caFile! },
                platform: { ip: `192.168.0.${100 + i + 1}`, gcFree: 40000 },
                onLog: line => {
                    if (/^Exception: /.test(line)) problems.push(`${node}: ${line}`)
                    if (/^start: /.test(line) && ++starts > 1) problems.push(`${node}: the program restarted`)
                },
                onToolLog: line => {
                    if (/PANIC \d+/.test(line)) problems.push(`${node}: ${line.trim()}`)
                },
                onCrash: code => problems.push(`${node}: the VM exited (${code})`),
            })
            boards.push(board)
            if (board.pid) leaders.push(board.pid)
            sample.bootMs.push(Date.now() - bootStart)
        }
        const readyAt = await eventually(`all ${n} nodes Ready=True`, 60000 + 5000 * n, () => {
            const times = names.map(node => api.readyTransitions(node).find(t => t.to === "True")?.time)
            return times.every(t => t !== undefined) ? (times as number[]) : undefined
        })
        const boot1 = machineTicks()
        sample.bootBusyPct = (100 * (boot1.busy - boot0.busy)) / Math.max(1, boot1.total - boot0.total)
        sample.readyEachMs = readyAt.map(t => t - first)
        sample.readyMs = Math.max(...sample.readyEachMs)
        // steady state: every board has renewed once after its boot
        await Promise.all(boards.map(b => b.waitForLog(/^lease: renewed #1 /, 60000)))
        if (problems.length) throw new Error(problems.join("; "))
        await steadyWindow(api, sample, names, vmsOf(boards), devtools, plan)
        if (problems.length) throw new Error(problems.join("; "))

        if (alone) {
            aloneFrom = Date.now()
            // its boot is the first board's in this rack; the machine's share while booting belongs to the whole rack
            current = { ...emptySample(1), bootMs: sample.bootMs.slice(0, 1), readyEachMs: sample.readyEachMs.slice(0, 1), readyMs: sample.readyEachMs[0] }
            samples.unshift(current)
            for (const b of boards.slice(1)) await b.powerOff()
            await steadyWindow(api, current, names.slice(0, 1), vmsOf(boards.slice(0, 1)), devtools, plan)
            if (problems.length) throw new Error(problems.join("; "))
        }
    } catch (e: any) {
        current.failed = `${e?.message ?? e}`.split("\n")[0]
    } finally {
        if (current !== sample) current.tookSeconds = (Date.now() - aloneFrom) / 1000
        await host.stop()
        await sleep(200)
        const alive = new Set(leaders)
        const leftover = procStats().filter(s => alive.has(s.pgrp)).length
        for (const s of samples) s.leftover = leftover
        sample.tookSeconds = (Date.now() - t0) / 1000
    }
    return samples
}

const perBoardBytesPerSec = (s: RackSample) => mean(s.nodes.map(l => (l.up + l.down) / s.windowSeconds))
const perBoardRequestsPerSec = (s: RackSample) => mean(s.nodes.map(l => l.requests / s.windowSeconds))

/** Least-squares line y = a + b x. */
function fit(xs: number[], ys: number[]): { a: number; b: number } | undefined {
    if (xs.length < 2) return undefined
    const mx = mean(xs)
    const my = mean(ys)
    const sxx = xs.reduce((n, x) => n + (x - mx) ** 2, 0)
    if (!sxx) return undefined
    const b = xs.reduce((n, x, i) => n + (x - mx) * (ys[i] - my), 0) / sxx
    return { a: my - b * mx, b }
}

export async function benchRack(api: ApiServer, plan: Plan): Promise<Rack> {
    const samples: RackSample[] = []
    for (const n of plan.rack.boards) {
        const run = await runRack(api, n, plan, plan.rack.oneBoard === "first board alone" && n === plan.rack.boards[0])
        for (const s of run) {
            const b = s.boards
            console.error(
                `bench: rack of ${n}${b < n ? ", its first board alone" : ""}: ` +
                    (s.failed
                        ? `failed (${s.failed})`
                        : `all Ready ${(s.readyMs! / 1000).toFixed(1)} s after the first board's start, ` +
                          `VMs ${((s.vms.rss / b) / 2 ** 20).toFixed(0)} MB and ${((100 * s.vms.cpuSeconds) / s.windowSeconds / b).toFixed(1)} % CPU per board, ` +
                          `${perBoardBytesPerSec(s).toFixed(0)} B/s per board, machine ${s.machineBusyPct.toFixed(0)} % busy`) +
                    (s.leftover ? `; ${s.leftover} process(es) left behind` : "")
            )
        }
        samples.push(...run)
        if (run.some(s => s.failed)) break
    }
    const ok = samples.filter(s => !s.failed)
    const one = ok.find(s => s.boards === 1)
    const ratios = one
        ? ok.map(s => ({
              boards: s.boards,
              api: perBoardBytesPerSec(s) / perBoardBytesPerSec(one),
              requests: perBoardRequestsPerSec(s) / perBoardRequestsPerSec(one),
              rss: s.vms.rss / s.boards / one.vms.rss,
              cpu: s.vms.cpuSeconds / s.windowSeconds / s.boards / (one.vms.cpuSeconds / one.windowSeconds),
          }))
        : []
    const within = (r: number, tol: number) => Math.abs(r - 1) <= tol
    const cores = cpus().length
    // the whole machine's busy share against N, and the VMs' memory per board
    const cpuFit = fit(
        ok.map(s => s.boards),
        ok.map(s => s.machineBusyPct)
    )
    const rssPerBoard = ok.length ? mean(ok.map(s => s.vms.rss / s.boards)) : 0
    const bootFit = fit(
        ok.map(s => s.boards),
        ok.map(s => s.readyMs! / 1000)
    )
    return {
        samples,
        statusSecs: plan.rack.statusSecs,
        renewSecs: plan.rack.renewSecs,
        cores,
        totalMemBytes: totalmem(),
        goals: ratios.length > 1 ? { apiEqual: ratios.every(r => within(r.api, API_TOLERANCE) && within(r.requests, API_TOLERANCE)), hostLinear: ratios.every(r => within(r.rss, HOST_TOLERANCE) && within(r.cpu, HOST_TOLERANCE)) } : {},
        ratios,
        limits: {
            cpuBoards: cpuFit && cpuFit.b > 0 ? Math.max(0, (100 - cpuFit.a) / cpuFit.b) : undefined,
            memBoards: rssPerBoard ? totalmem() / rssPerBoard : undefined,
            bootSecondsPerBoard: bootFit?.b,
        },
    }
}

/** The rack chart's panels: per-board host cost, the machine, per-board API load, time to Ready. */
export function rackPanels(rack: Rack): RackPanel[] {
    const ok = rack.samples.filter(s => !s.failed)
    const one = ok.find(s => s.boards === 1)
    const per = (f: (s: RackSample) => number) => ok.map(s => ({ boards: s.boards, value: f(s) }))
    const ref = (f: (s: RackSample) => number, band?: number) =>
        one ? { value: f(one), band, label: `one board${band ? `, ±${band * 100} %` : ""}` } : undefined
    const rssMb = (s: RackSample) => s.vms.rss / s.boards / 2 ** 20
    const cpuPct = (s: RackSample) => (100 * s.vms.cpuSeconds) / s.windowSeconds / s.boards
    const bps = (s: RackSample) => mean(s.nodes.map(l => (l.up + l.down) / s.windowSeconds))
    const rps = (s: RackSample) => mean(s.nodes.map(l => l.requests / s.windowSeconds))
    return [
        { title: "VM memory per board", unit: "MB RSS", values: per(rssMb), reference: ref(rssMb, HOST_TOLERANCE) },
        { title: "VM CPU per board", unit: "% of a core", values: per(cpuPct), reference: ref(cpuPct, HOST_TOLERANCE) },
        { title: `Machine busy (${rack.cores} cores)`, unit: "% of all cores", values: per(s => s.machineBusyPct), axisMin: 100 },
        { title: "API bytes per board", unit: "B/s, TLS incl.", values: per(bps), reference: ref(bps, API_TOLERANCE) },
        { title: "API requests per board", unit: "per minute", values: per(s => 60 * rps(s)), reference: ref(s => 60 * rps(s), API_TOLERANCE) },
        { title: "All nodes Ready", unit: "s from the first start", values: per(s => s.readyMs! / 1000) },
    ]
}

/** The rack chart (bench/out/rack.svg). */
export const rackChart = (rack: Rack, subtitle: string) =>
    rackSvg(
        rackPanels(rack),
        subtitle,
        `dashed: one board's value; shaded: the goal's tolerance around it (API load ${API_TOLERANCE * 100} %, host cost ${HOST_TOLERANCE * 100} %)`
    )
