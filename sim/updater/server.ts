import {
    DeviceScriptManagerEvent,
    DeviceScriptManagerReg,
    EVENT,
    JDBus,
    JDEvent,
    JDRegisterServer,
    JDServerServiceProvider,
    JDService,
    JDServiceServer,
} from "jacdac-ts"
import { deployProgram } from "../../tools/simulator/deploy"
import { loadServiceSpec, SRV_PICOKUBELET_UPDATER } from "../spec"
import { Image, UpdaterMachine } from "./machine"

// The simulator's side of services/picokubeletupdater.md: the Jacdac server
// in front of UpdaterMachine, on the devtools bus as a device of its own,
// deploying to one VM through that VM's DeviceScript manager (the path the
// devs CLI deploys through). Served for a single board: on a shared bus the
// firmware's role could bind another board's updater.

enum Cmd {
    Begin = 0x80,
    Write = 0x81,
    Commit = 0x82,
    Confirm = 0x83,
    Abort = 0x84,
}

enum Reg {
    Capacity = 0x180,
    Staged = 0x181,
    State = 0x182,
    RunningDigest = 0x183,
    RejectedDigest = 0x184,
    Error = 0x185,
    RuntimeVersion = 0x186,
}

/** The simulated VM's program flash: the largest program it accepts. */
export const SIM_CAPACITY = 128 * 1024
const TICK_MS = 500

export interface UpdaterOptions {
    /** Largest image (bytes); default SIM_CAPACITY. */
    capacity?: number
    /** Deploys the board's own program again (a rollback past the first installed image). */
    deployOwn: () => Promise<void>
    /** Called around each deploy this service makes (the simulator rebinds a rack board's roles). */
    around?: { before(): Promise<void>; after(): void }
    log?: (line: string) => void
}

export class UpdaterServer extends JDServiceServer {
    readonly machine: UpdaterMachine
    private readonly regs: Record<Reg, JDRegisterServer<any>>
    private vm?: JDService
    private unsubscribe?: () => void
    private readonly ticker: NodeJS.Timeout

    constructor(private readonly opts: UpdaterOptions) {
        super(loadServiceSpec(SRV_PICOKUBELET_UPDATER).classIdentifier)
        this.machine = new UpdaterMachine(opts.capacity ?? SIM_CAPACITY, {
            deploy: image => this.deployToVm(image),
            now: () => Date.now(),
            log: opts.log,
        })
        this.regs = {
            [Reg.Capacity]: this.addRegister<[number]>(Reg.Capacity, [this.machine.capacity]),
            [Reg.Staged]: this.addRegister<[number]>(Reg.Staged, [0]),
            [Reg.State]: this.addRegister<[number]>(Reg.State, [0]),
            [Reg.RunningDigest]: this.addRegister<[Uint8Array]>(Reg.RunningDigest, [new Uint8Array(0)]),
            [Reg.RejectedDigest]: this.addRegister<[Uint8Array]>(Reg.RejectedDigest, [new Uint8Array(0)]),
            [Reg.Error]: this.addRegister<[string]>(Reg.Error, [""]),
            [Reg.RuntimeVersion]: this.addRegister<[string]>(Reg.RuntimeVersion, [""]),
        }
        this.addCommand(Cmd.Begin, pkt => {
            const [size, trialSeconds, digests] = pkt.jdunpack<[number, number, Uint8Array]>("u32 u16 b")
            this.after(() => this.machine.begin(size, trialSeconds, Buffer.from(digests)))
        })
        this.addCommand(Cmd.Write, pkt => {
            const [offset, data] = pkt.jdunpack<[number, Uint8Array]>("u32 b")
            this.after(() => this.machine.write(offset, Buffer.from(data)))
        })
        this.addCommand(Cmd.Commit, () => this.after(() => this.machine.commit()))
        this.addCommand(Cmd.Confirm, () => this.after(() => this.machine.confirm()))
        this.addCommand(Cmd.Abort, () => this.after(() => this.machine.abort()))
        // read-only for the bus: a set command from a client is ignored
        this.lock()
        this.ticker = setInterval(() => this.after(() => this.machine.tick()), TICK_MS)
    }

    stop() {
        clearInterval(this.ticker)
        this.unsubscribe?.()
    }

    /**
     * The VM this updater deploys to; its manager's runtime version is
     * reported and its panics are counted.
     */
    async attachVm(vm: JDService) {
        this.unsubscribe?.()
        this.vm = vm
        const version = vm.register(DeviceScriptManagerReg.RuntimeVersion)
        await version.refresh()
        const [patch, minor, major] = (version.unpackedValue ?? []) as number[]
        if (major !== undefined) this.regs[Reg.RuntimeVersion].setValues([`v${major}.${minor}.${patch}`])
        const panic: JDEvent = vm.event(DeviceScriptManagerEvent.ProgramPanic)
        this.unsubscribe = panic.subscribe(EVENT, () => this.after(() => this.machine.panicked()))
    }

    /** A board with less room for images (tests: an image larger than the budget). */
    setCapacity(bytes: number) {
        this.machine.capacity = bytes
        this.regs[Reg.Capacity].setValues([bytes])
    }

    /** The board powered on and deployed its own program: puts the installed image back over it; whether it did. */
    async afterBoot(): Promise<boolean> {
        const image = this.machine.afterBoot()
        this.sync()
        if (!image) return false
        await this.sendToVm(image)
        this.machine.deployed()
        this.sync()
        return true
    }

    private after(change: () => void) {
        change()
        this.sync()
    }

    /** Registers from the machine. */
    private sync() {
        const m = this.machine
        const set = (r: Reg, v: any, report = false) => {
            const reg = this.regs[r]
            if (JSON.stringify(reg.values()) === JSON.stringify([v])) return
            reg.setValues([v])
            // the client's cache would otherwise answer with the old count (services/picokubeletupdater.md)
            if (report) void reg.sendGetAsync()
        }
        set(Reg.Staged, m.staged, true)
        set(Reg.State, m.state, true)
        set(Reg.RunningDigest, new Uint8Array(m.runningDigest))
        set(Reg.RejectedDigest, new Uint8Array(m.rejectedDigest))
        set(Reg.Error, m.error)
    }

    private async deployToVm(image: Image | null) {
        await this.opts.around?.before()
        try {
            if (image) await this.sendToVm(image)
            else await this.opts.deployOwn()
        } finally {
            this.sync()
        }
        this.opts.around?.after()
    }

    /** What `devs` does to deploy, the settings left as they are. */
    private async sendToVm(image: Image) {
        const vm = this.vm
        if (!vm) throw new Error("no VM attached")
        this.opts.log?.(`updater: deploying ${image.bytes.length} bytes (sha256:${image.manifestDigest.toString("hex").slice(0, 12)})`)
        await deployProgram(vm, new Uint8Array(image.bytes))
    }
}

/** A Jacdac device of its own carrying one updater service. */
export class UpdaterDevice {
    readonly server: UpdaterServer
    readonly provider: JDServerServiceProvider

    constructor(opts: UpdaterOptions & { deviceId?: string }) {
        this.server = new UpdaterServer(opts)
        this.provider = new JDServerServiceProvider("picokubelet-updater-sim", [this.server], { deviceId: opts.deviceId })
    }

    attach(bus: JDBus) {
        bus.addServiceProvider(this.provider)
    }

    detach() {
        this.server.stop()
        this.provider.bus?.removeServiceProvider(this.provider)
    }
}
