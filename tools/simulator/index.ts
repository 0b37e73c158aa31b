import { ChildProcess } from "node:child_process"
import { randomBytes } from "node:crypto"
import { join } from "node:path"
import { eachLine, startChild, stopChild } from "./children"
import { CLI, DevtoolsSession, startDevtools } from "./devtools"
import { compiled, deployedSettings, deployProgram, DeployTimeout, placeDebugInfo } from "./deploy"
import { makeScratchProject, ScratchProject, Settings } from "./project"
import { bindOwn, OwnService, PLATFORM_ROLE, setRoles, startAutoBinding, stopAutoBinding, UPDATER_ROLE } from "./roles"
import { NodeBus, startBus } from "./bus"
import { LedSample, LedWatcher } from "./led"
import { PlatformDevice, PlatformServer } from "../../sim/platform/server"
import { UpdaterDevice, UpdaterServer } from "../../sim/updater/server"
import { SRV_DEVICE_SCRIPT_MANAGER } from "jacdac-ts"
import { SRV_PICOKUBELET_PLATFORM, SRV_PICOKUBELET_UPDATER } from "../../sim/spec"

export { Settings } from "./project"
export type { LedSample } from "./led"
export { rgbHex } from "./led"
export { PlatformServer, Transport } from "../../sim/platform/server"
export { UpdaterServer } from "../../sim/updater/server"

/** The simulated Picokubelet Platform service the firmware binds at boot. */
export interface SimPlatformOptions {
    /** IPv4 address the firmware reads; default "127.0.0.1". */
    ip?: string
    /** Free GC heap bytes; default 40000. */
    gcFree?: number
    /** Link up at start; default true. */
    link?: boolean
    mac?: string
}

/** One simulated board: its program, settings and platform service. */
export interface BoardOptions {
    /** Settings deployed with the program (written to the scratch project's .env.local). */
    settings: Settings
    /** Program entry, relative to the repo root. */
    entry?: string
    /** Extra environment of the VM process, e.g. NODE_EXTRA_CA_CERTS. */
    vmEnv?: Record<string, string>
    deviceId?: string
    /** Called with every program log line, as it arrives. */
    onLog?: (line: string) => void
    onToolLog?: (line: string) => void
    /**
     * The Picokubelet Platform service, served from this process on the
     * devtools bus before the program is deployed. Default: started with its
     * defaults; `false`: no platform service (the role stays unbound).
     */
    platform?: SimPlatformOptions | false
    /** Called when the VM process exits by itself (not powered off), with its exit code or signal. */
    onCrash?: (code: number | string) => void
    /**
     * The Picokubelet Updater service (sim/updater), which installs firmware
     * into this board's VM. Default: served, with the VM's capacity (on a
     * shared bus the firmware's role is bound to it by hand, as the platform's).
     */
    updater?: { capacity?: number } | false
}

/** One board with devtools to itself: what every single-board test and `npm start` use. */
export type SimulatorOptions = BoardOptions

const ANSI = /\x1b\[[0-9;]*m/g
const DEPLOY_TRIES = 6
/** How often a rack's platform roles are bound again to their own services. */
const KEEP_ROLES_MS = 3000

/**
 * Preloads of each VM process (where the VM runs; devtools only relays): its
 * socket reads as the board's, 1 KB at a time (board-socket.cjs), its garbage
 * collected as often as the board's patched runtime collects it (board-gc.cjs),
 * and the heap dumper, which prints what fills the GC heap when the VM runs out
 * of memory (heap-dump-hook.cjs; it costs nothing until then).
 */
const PRELOADS = ["-r", join(__dirname, "board-socket.cjs"), "-r", join(__dirname, "board-gc.cjs"), "-r", join(__dirname, "heap-dump-hook.cjs")]

/** One line of program output, as the VM prints it: "WASM> text"; the heap dumper's lines count too. */
function programLine(raw: string): string | undefined {
    const line = raw.replace(ANSI, "")
    if (line.startsWith("heapdump: ") || line.startsWith("board: ")) return line
    return line.startsWith("WASM> ") ? line.slice(6) : undefined
}

/**
 * One devtools, one Jacdac bus and one scratch project for any number of
 * boards (devtools has fixed ports: one host per machine). Devtools is the
 * hub the VMs and this process's bus meet on; programs are compiled and
 * deployed from here (deploy.ts).
 */
export class SimulatorHost {
    private devtools?: DevtoolsSession
    private project?: ScratchProject
    private nodeBus?: NodeBus
    private keeper?: NodeJS.Timeout
    readonly boards: Board[] = []

    private constructor(
        private readonly onToolLog: (line: string) => void,
        /** Several boards share the bus: each board's platform role is bound to its own service by hand. */
        readonly shared: boolean
    ) {}

    /** A host for a rack of boards (`shared`), or for one board with the bus to itself. */
    static async start(onToolLog: (line: string) => void = () => {}, shared = true): Promise<SimulatorHost> {
        const host = new SimulatorHost(onToolLog, shared)
        try {
            host.project = makeScratchProject()
            host.devtools = await startDevtools(host.project.dir, onToolLog)
            host.nodeBus = await startBus()
            if (shared) host.keeper = setInterval(() => void host.keepRoles(), KEEP_ROLES_MS)
        } catch (e) {
            await host.stop()
            throw e
        }
        return host
    }

    /** The Jacdac bus of this process, joined to devtools. */
    get bus() {
        return this.nodeBus?.bus
    }

    get projectDir(): string {
        return this.project!.dir
    }

    /** Starts a board: its platform service, its VM, then its program with its settings. */
    async addBoard(opts: BoardOptions): Promise<Board> {
        const board = new Board(this, opts)
        this.boards.push(board)
        await board.boot()
        return board
    }

    /** The DeviceScript manager of a VM on the bus. */
    manager(deviceId: string) {
        const manager = this.bus!.device(deviceId, true)?.services({ serviceClass: SRV_DEVICE_SCRIPT_MANAGER })[0]
        if (!manager) throw new Error(`the VM ${deviceId} has no DeviceScript manager on the bus`)
        return manager
    }

    /** Deploys `entry` with the repo's .env.defaults and `settings` over them to one device, as devs does. */
    async deploy(deviceId: string, entry: string, settings: Settings): Promise<void> {
        const { bytecode } = await compiled(this.project!.dir, entry)
        await deployProgram(this.manager(deviceId), bytecode, deployedSettings(this.project!.dir, settings))
    }

    /** Binds every running board's roles to its own services again (see roles.ts). */
    private async keepRoles() {
        for (const b of this.boards) if (b.poweredOn) await setRoles(this.bus!, b.deviceId, b.ownServices())
    }

    async stop() {
        if (this.keeper) clearInterval(this.keeper)
        for (const b of this.boards) await b.shutdown()
        if (this.nodeBus) await this.nodeBus.stop()
        if (this.devtools) await this.devtools.stop()
        this.project?.remove()
        this.nodeBus = undefined
        this.devtools = undefined
        this.project = undefined
    }
}

export class Board {
    readonly logs: string[] = []
    private waiters: { test: (l: string) => boolean; resolve: (l: string) => void }[] = []
    private vm?: ChildProcess
    private platformDevice?: PlatformDevice
    private updaterDevice?: UpdaterDevice
    private led?: LedWatcher
    readonly deviceId: string
    /** The VM exited by itself since it was last powered on. */
    crashed?: number | string

    constructor(
        readonly host: SimulatorHost,
        private readonly opts: BoardOptions
    ) {
        this.deviceId = opts.deviceId ?? randomBytes(8).toString("hex")
    }

    /** @internal SimulatorHost.addBoard's second half. */
    async boot() {
        const bus = this.host.bus!
        this.led = new LedWatcher(bus, this.deviceId)
        if (this.opts.platform !== false) {
            this.platformDevice = new PlatformDevice(this.opts.platform ?? {})
            this.platformDevice.attach(bus)
        }
        if (this.opts.updater !== false) {
            this.updaterDevice = new UpdaterDevice({
                capacity: this.opts.updater?.capacity,
                deployOwn: () => this.host.deploy(this.deviceId, this.entry, this.opts.settings),
                around: this.updaterDeploys(),
                log: line => this.opts.onToolLog?.(line),
            })
            this.updaterDevice.attach(bus)
        }
        // the VM reads the program's debug info as it starts
        placeDebugInfo(this.host.projectDir, await compiled(this.host.projectDir, this.entry))
        await this.startVm()
        await this.deploy()
    }

    get settings(): Settings {
        return this.opts.settings
    }

    /** The program this board runs, relative to the repo root. */
    get entry(): string {
        return this.opts.entry ?? "src/main.ts"
    }

    get platformDeviceId(): string | undefined {
        return this.platformDevice?.deviceId
    }

    /** The VM process's id while powered on (read-only: for measuring its cost). */
    get pid(): number | undefined {
        return this.vm?.pid
    }

    /** Powered on: a VM process is running (it may have crashed since). */
    get poweredOn(): boolean {
        return this.vm !== undefined
    }

    private async startVm() {
        // a power cycle: the banner of an earlier VM is already in the log
        const fromIndex = this.logs.length
        this.crashed = undefined
        const vm = startChild(
            process.execPath,
            [...PRELOADS, CLI, "vm", "--tcp", "--device-id", this.deviceId, "--stateless"],
            { cwd: this.host.projectDir, env: { ...process.env, ...this.opts.vmEnv } }
        )
        this.vm = vm
        vm.once("exit", (code, signal) => {
            // powered off on purpose: powerOff() forgot the process first
            if (this.vm !== vm) return
            this.crashed = code ?? signal ?? "?"
            this.opts.onCrash?.(this.crashed)
        })
        const onRaw = (raw: string) => {
            const line = programLine(raw)
            if (line === undefined) return this.opts.onToolLog?.(raw)
            this.logs.push(line)
            this.opts.onLog?.(line)
            this.waiters = this.waiters.filter(w => {
                if (!w.test(line)) return true
                w.resolve(line)
                return false
            })
        }
        eachLine(vm.stdout!, onRaw)
        eachLine(vm.stderr!, onRaw)
        await this.waitForLog(/DeviceScript Simulator/, 30000, fromIndex)
        await this.waitForAnnounce(30000)
    }

    /** Until the VM has announced itself on the bus: a deploy sent before that is likelier to time out. */
    private async waitForAnnounce(timeoutMs: number) {
        const deadline = Date.now() + timeoutMs
        while (!this.host.bus!.device(this.deviceId, true)?.announced) {
            if (Date.now() > deadline) throw new Error(`the VM ${this.deviceId} did not announce itself on the bus within ${timeoutMs} ms`)
            await new Promise(r => setTimeout(r, 100))
        }
    }

    /**
     * Deploys the program as a user does. A VM on a loaded machine can miss the
     * 3 s deadline of a deploy command, and a VM that saw a deploy time out no
     * longer restarts the program on ds.restart() (the heap guard's restart
     * hung): so a timed-out deploy is retried on a fresh VM process, never on
     * the same one.
     */
    private async deploy() {
        let fromIndex = this.logs.length
        for (let attempt = 1; ; attempt++) {
            try {
                await this.host.deploy(this.deviceId, this.entry, this.opts.settings)
                break
            } catch (e) {
                if (!(e instanceof DeployTimeout) || attempt >= DEPLOY_TRIES) throw e
                this.opts.onToolLog?.(`${e.message} (try ${attempt}); deploying again to a fresh VM`)
                await this.powerOff()
                await this.startVm()
            }
        }
        fromIndex = (await this.restoreInstalledImage()) ?? fromIndex
        await this.bindRoles(fromIndex)
    }

    /**
     * On a shared bus, binds the program's roles to this board's services
     * once it has created them (see roles.ts); `fromIndex` is where the
     * program's log starts.
     */
    private async bindRoles(fromIndex: number) {
        if (!this.host.shared || !this.platformDevice) return
        const bus = this.host.bus!
        const own = this.ownServices()
        await this.waitForLog(/^config: /, 60000, fromIndex)
        await bindOwn(bus, this.deviceId, own)
        await this.waitForLog(/^socket \S+ open/, 60000, fromIndex)
        await stopAutoBinding(bus, this.deviceId)
        await bindOwn(bus, this.deviceId, own)
        const ip = this.platformDevice.server.address
        const bound = () => [...this.logs.slice(fromIndex)].reverse().find(l => l.startsWith("platform: "))?.includes(` ip=${ip}`)
        for (let i = 0; !bound(); i++) {
            if (i >= 40) throw new Error(`board ${this.deviceId}: its platform role is not bound to its own platform service (${ip})`)
            await setRoles(bus, this.deviceId, own)
            await new Promise(r => setTimeout(r, 250))
        }
    }

    /**
     * A board boots whatever its flash holds: the updater puts the image it
     * installed back over the program just deployed (the VM process keeps
     * no flash of its own across a restart). Where the log of the program it
     * put back starts; undefined when it put none back.
     */
    private async restoreInstalledImage(): Promise<number | undefined> {
        const updater = this.updaterDevice?.server
        if (!updater) return undefined
        await updater.attachVm(this.host.manager(this.deviceId))
        const at = this.logs.length
        return (await updater.afterBoot()) ? at : undefined
    }

    /**
     * The updater deploys a new program (or the board's own, on a rollback):
     * on a shared bus its roles bind afresh, so auto-binding goes back on
     * until they are bound to this board's services again.
     */
    private updaterDeploys() {
        let fromIndex = 0
        return {
            before: async () => {
                fromIndex = this.logs.length
                if (this.host.shared) await startAutoBinding(this.host.bus!, this.deviceId)
            },
            // not awaited by the updater: a program that never starts must not hold up its rollback
            after: () => void this.bindRoles(fromIndex).catch(e => this.opts.onToolLog?.(`roles after an update: ${e.message}`)),
        }
    }

    /** Kills the VM process and starts a new one (a board power cycle). */
    async restartVm(vmEnv?: Record<string, string>) {
        await this.powerOff()
        await this.powerOn(vmEnv)
    }

    /** Kills the VM process: the board loses power; devtools and the bus stay. */
    async powerOff() {
        const vm = this.vm
        this.vm = undefined
        if (vm) await stopChild(vm)
    }

    /** Starts a VM and deploys the program again, as a board boots from flash. */
    async powerOn(vmEnv?: Record<string, string>) {
        if (this.vm) throw new Error("the simulated board is already powered on")
        if (vmEnv) this.opts.vmEnv = vmEnv
        await this.startVm()
        await this.deploy()
    }

    /** Resolves with the first log line (already seen or future) that matches. */
    waitForLog(pattern: RegExp | string, timeoutMs: number, fromIndex = 0): Promise<string> {
        const test = (l: string) => (typeof pattern === "string" ? l.includes(pattern) : pattern.test(l))
        const seen = this.logs.slice(fromIndex).find(test)
        if (seen !== undefined) return Promise.resolve(seen)
        return new Promise((resolve, reject) => {
            const timer = setTimeout(() => {
                this.waiters = this.waiters.filter(w => w.resolve !== done)
                reject(
                    new Error(
                        `no log line matching ${pattern} within ${timeoutMs} ms; last lines:\n  ` +
                            this.logs.slice(-15).join("\n  ")
                    )
                )
            }, timeoutMs)
            const done = (l: string) => {
                clearTimeout(timer)
                resolve(l)
            }
            this.waiters.push({ test, resolve: done })
        })
    }

    /** @internal The services this process serves for the board, and the roles that must bind them. */
    ownServices(): OwnService[] {
        const own: OwnService[] = []
        if (this.platformDevice) own.push({ deviceId: this.platformDevice.deviceId, serviceClass: SRV_PICOKUBELET_PLATFORM, role: PLATFORM_ROLE })
        if (this.updaterDevice) own.push({ deviceId: this.updaterDevice.provider.deviceId, serviceClass: SRV_PICOKUBELET_UPDATER, role: UPDATER_ROLE })
        return own
    }

    /** The simulated updater service; undefined with `updater: false`. */
    get updater(): UpdaterServer | undefined {
        return this.updaterDevice?.server
    }

    /** The simulated platform service (setters for tests); undefined with `platform: false`. */
    get platform(): PlatformServer | undefined {
        return this.platformDevice?.server
    }

    /** The Jacdac bus of this process, joined to devtools. */
    get bus() {
        return this.host.bus
    }

    /**
     * The last LED colour (0xRRGGBB) the firmware wrote to its Led service,
     * kept current by watching the bus; undefined before the first write.
     */
    get lastLedColor(): number | undefined {
        return this.led?.color
    }

    /** Reads the LED colour (0xRRGGBB) from the VM's Led service `pixels` register. */
    ledColor(timeoutMs = 2000): Promise<number> {
        if (!this.led) return Promise.reject(new Error("simulator not running"))
        return this.led.read(timeoutMs)
    }

    /**
     * Records every LED colour change from now on: the array fills as
     * the firmware shows colours, until stopLedRecording(samples).
     */
    startLedRecording(): LedSample[] {
        if (!this.led) throw new Error("simulator not running")
        return this.led.startRecording()
    }

    /** Resolves with the current or next LED colour (0xRRGGBB) that passes `test`. */
    waitForLed(test: (rgb: number) => boolean, timeoutMs: number): Promise<number> {
        if (!this.led) return Promise.reject(new Error("simulator not running"))
        return this.led.waitFor(test, timeoutMs)
    }

    /** Every LED colour change since the simulator started, oldest first. */
    get ledSamples(): LedSample[] {
        return this.led?.samples() ?? []
    }

    stopLedRecording(samples: LedSample[]) {
        this.led?.stopRecording(samples)
    }

    /** @internal Stops this board's VM and services; the host stays. */
    async shutdown() {
        this.led?.stop()
        this.platformDevice?.detach()
        this.updaterDevice?.detach()
        this.updaterDevice = undefined
        this.led = undefined
        this.platformDevice = undefined
        await this.powerOff()
    }
}

/** A board with devtools to itself: start() brings up both, stop() takes both down. */
export class Simulator extends Board {
    static async start(opts: SimulatorOptions): Promise<Simulator> {
        const host = await SimulatorHost.start(opts.onToolLog, false)
        const sim = new Simulator(host, opts)
        host.boards.push(sim)
        try {
            await sim.boot()
        } catch (e) {
            await host.stop()
            throw e
        }
        return sim
    }

    async stop() {
        await this.host.stop()
    }
}
