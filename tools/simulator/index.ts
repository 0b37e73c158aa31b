import { ChildProcess } from "node:child_process"
import { randomBytes } from "node:crypto"
import { eachLine, startChild, stopChild } from "./children"
import { CLI, DeployTimeout, DevtoolsSession, startDevtools } from "./devtools"
import { makeScratchProject, ScratchProject, Settings } from "./project"
import { NodeBus, startBus } from "./bus"
import { LedSample, LedWatcher } from "./led"
import { PlatformDevice, PlatformServer } from "../../sim/platform/server"

export { Settings } from "./project"
export type { LedSample } from "./led"
export { rgbHex } from "./led"
export { PlatformServer, Transport } from "../../sim/platform/server"

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

export interface SimulatorOptions {
    /** Settings deployed with the program (written to a scratch .env.local). */
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
}

const ANSI = /\x1b\[[0-9;]*m/g
const DEPLOY_TRIES = 6

/** One line of program output, as the VM prints it: "WASM> text". */
function programLine(raw: string): string | undefined {
    const line = raw.replace(ANSI, "")
    return line.startsWith("WASM> ") ? line.slice(6) : undefined
}

export class Simulator {
    readonly logs: string[] = []
    private waiters: { test: (l: string) => boolean; resolve: (l: string) => void }[] = []
    private vm?: ChildProcess
    private devtools?: DevtoolsSession
    private project?: ScratchProject
    private nodeBus?: NodeBus
    private platformDevice?: PlatformDevice
    private led?: LedWatcher
    readonly deviceId: string

    private constructor(private readonly opts: SimulatorOptions) {
        this.deviceId = opts.deviceId ?? randomBytes(8).toString("hex")
    }

    /** Starts devtools and a VM, then deploys the program with its settings. */
    static async start(opts: SimulatorOptions): Promise<Simulator> {
        const sim = new Simulator(opts)
        try {
            await sim.boot()
        } catch (e) {
            await sim.stop()
            throw e
        }
        return sim
    }

    private async boot() {
        const toolLog = this.opts.onToolLog ?? (() => {})
        this.project = makeScratchProject(this.opts.settings)
        this.devtools = await startDevtools(this.project.dir, toolLog)
        await this.startBus()
        await this.startVm()
        await this.deploy()
    }

    private async startVm() {
        // a power cycle: the banner of an earlier VM is already in the log
        const fromIndex = this.logs.length
        const vm = startChild(
            process.execPath,
            [CLI, "vm", "--tcp", "--device-id", this.deviceId, "--stateless"],
            { cwd: this.project!.dir, env: { ...process.env, ...this.opts.vmEnv } }
        )
        this.vm = vm
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
        while (!this.nodeBus!.bus.device(this.deviceId, true)?.announced) {
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
        for (let attempt = 1; ; attempt++) {
            try {
                return await this.devtools!.deploy(this.opts.entry ?? "src/main.ts")
            } catch (e) {
                if (!(e instanceof DeployTimeout) || attempt >= DEPLOY_TRIES) throw e
                this.opts.onToolLog?.(`${e.message} (try ${attempt}); deploying again to a fresh VM`)
                await this.powerOff()
                await this.startVm()
            }
        }
    }

    /** Kills the VM process and starts a new one (a board power cycle). */
    async restartVm(vmEnv?: Record<string, string>) {
        await this.powerOff()
        await this.powerOn(vmEnv)
    }

    /** Kills the VM process: the board loses power; devtools and the bus stay. */
    async powerOff() {
        if (this.vm) await stopChild(this.vm)
        this.vm = undefined
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

    /** The simulated platform service (setters for tests); undefined with `platform: false`. */
    get platform(): PlatformServer | undefined {
        return this.platformDevice?.server
    }

    /** The Jacdac bus of this process, joined to devtools. */
    get bus() {
        return this.nodeBus?.bus
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

    private async startBus() {
        this.nodeBus = await startBus()
        this.led = new LedWatcher(this.nodeBus.bus, this.deviceId)
        if (this.opts.platform === false) return
        this.platformDevice = new PlatformDevice(this.opts.platform ?? {})
        this.platformDevice.attach(this.nodeBus.bus)
    }

    async stop() {
        this.led?.stop()
        this.platformDevice?.detach()
        if (this.nodeBus) await this.nodeBus.stop()
        this.led = undefined
        this.platformDevice = undefined
        this.nodeBus = undefined
        if (this.vm) await stopChild(this.vm)
        if (this.devtools) await this.devtools.stop()
        this.project?.remove()
        this.vm = undefined
        this.devtools = undefined
        this.project = undefined
    }
}
