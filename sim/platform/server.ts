import { JDBus, JDRegisterServer, JDServerServiceProvider, JDServiceServer, jdpack } from "jacdac-ts"
import { formatIpv4, formatMac, parseIpv4, parseMac } from "./address"
import { loadServiceSpec, SRV_PICOKUBELET_PLATFORM } from "../spec"
import { HEAP_BYTES } from "../../src/platform/snapshot"

// The simulator's side of services/picokubeletplatform.md: what the native
// overlay serves on the ESP32-S3, served from Node over the devtools bus as a
// device of its own, so the firmware's `ds.PicokubeletPlatform` role binds to
// it exactly as it binds to the board's service.

export enum Transport {
    None = 0,
    Ethernet = 1,
    Wifi = 2,
    Sim = 3,
}

export enum ResetReason {
    Unknown = 0,
    PowerOn = 1,
    External = 2,
    Software = 3,
    Panic = 4,
}

export enum PlatformReg {
    Transport = 0x180,
    LinkUp = 0x181,
    IpAddress = 0x182,
    Mac = 0x183,
    GcFree = 0x184,
    GcMinFree = 0x185,
    HeapFree = 0x186,
    HeapMinFree = 0x187,
    ResetReason = 0x188,
    TransportChanges = 0x189,
}

export enum PlatformEvent {
    LinkChanged = 0x80,
    /** `active` in the spec */
    GotAddress = 0x01,
    /** `inactive` in the spec */
    LostAddress = 0x02,
}


export interface PlatformOptions {
    /** Dotted IPv4 address; default "127.0.0.1" (the simulator's sockets are the host's). */
    ip?: string
    /** "02:00:00:5e:00:01" style; default a locally administered address. */
    mac?: string
    /** Link up at start; default true. */
    link?: boolean
    transport?: Transport
    /** Free bytes of the GC heap; default 40000. */
    gcFree?: number
    /** ESP-IDF heap figures of a typical ESP32-S3 running DeviceScript. */
    heapFree?: number
    heapMinFree?: number
    resetReason?: ResetReason
    /** Device id (16 hex digits) of the simulated device; default random. */
    deviceId?: string
}

export const PLATFORM_DEFAULTS = {
    ip: "127.0.0.1",
    mac: "02:70:6b:00:00:01",
    link: true,
    transport: Transport.Sim,
    gcFree: 40000,
    heapFree: 182_000,
    heapMinFree: 161_000,
    resetReason: ResetReason.PowerOn,
}

/** The service itself: registers, events, and the setters tests drive. */
export class PlatformServer extends JDServiceServer {
    readonly transport: JDRegisterServer<[number]>
    readonly linkUp: JDRegisterServer<[number]>
    readonly ipAddress: JDRegisterServer<[Uint8Array]>
    readonly mac: JDRegisterServer<[Uint8Array]>
    readonly gcFree: JDRegisterServer<[number]>
    readonly gcMinFree: JDRegisterServer<[number]>
    readonly heapFree: JDRegisterServer<[number]>
    readonly heapMinFree: JDRegisterServer<[number]>
    readonly resetReason: JDRegisterServer<[number]>
    readonly transportChanges: JDRegisterServer<[number]>
    /** The address the transport has while its link is up. */
    private ip: string

    /** The address the transport has while its link is up (whether or not it is). */
    get address(): string {
        return this.ip
    }

    constructor(options: PlatformOptions = {}) {
        // the spec must be loaded before the base class looks it up
        super(loadServiceSpec(SRV_PICOKUBELET_PLATFORM).classIdentifier)
        const o = { ...PLATFORM_DEFAULTS, ...stripUndefined(options) }
        this.ip = formatIpv4(parseIpv4(o.ip))
        this.transport = this.addRegister<[number]>(PlatformReg.Transport, [o.transport])
        this.linkUp = this.addRegister<[number]>(PlatformReg.LinkUp, [o.link ? 1 : 0])
        this.ipAddress = this.addRegister<[Uint8Array]>(PlatformReg.IpAddress, [
            parseIpv4(o.link ? this.ip : "0.0.0.0"),
        ])
        this.mac = this.addRegister<[Uint8Array]>(PlatformReg.Mac, [parseMac(o.mac)])
        this.gcFree = this.addRegister<[number]>(PlatformReg.GcFree, [checkBytes(o.gcFree, HEAP_BYTES)])
        this.gcMinFree = this.addRegister<[number]>(PlatformReg.GcMinFree, [o.gcFree])
        this.heapFree = this.addRegister<[number]>(PlatformReg.HeapFree, [checkBytes(o.heapFree)])
        this.heapMinFree = this.addRegister<[number]>(PlatformReg.HeapMinFree, [
            Math.min(o.heapMinFree, o.heapFree),
        ])
        this.resetReason = this.addRegister<[number]>(PlatformReg.ResetReason, [o.resetReason])
        this.transportChanges = this.addRegister<[number]>(PlatformReg.TransportChanges, [0])
        // read-only for the bus: a set command from a client is ignored
        this.lock()
    }

    /** Plain values, for assertions and logs. */
    snapshot() {
        return {
            transport: this.transport.values()[0],
            linkUp: !!this.linkUp.values()[0],
            ip: formatIpv4(this.ipAddress.values()[0]),
            mac: formatMac(this.mac.values()[0]),
            gcFree: this.gcFree.values()[0],
            gcMinFree: this.gcMinFree.values()[0],
            heapFree: this.heapFree.values()[0],
            heapMinFree: this.heapMinFree.values()[0],
            resetReason: this.resetReason.values()[0],
            transportChanges: this.transportChanges.values()[0],
        }
    }

    /**
     * Cable in or out: emits link_changed; the address goes with the link
     * (lost_address on down, got_address on up).
     */
    async setLink(up: boolean) {
        if (!!this.linkUp.values()[0] === up) return
        this.linkUp.setValues([up ? 1 : 0])
        await this.sendEvent(PlatformEvent.LinkChanged, jdpack<[number]>("u8", [up ? 1 : 0]))
        await this.applyAddress(up ? this.ip : "0.0.0.0")
    }

    /**
     * A new (DHCP) address; "0.0.0.0" drops it. While the link is down the
     * address is remembered and reported when the link comes back.
     */
    async setAddress(ip: string) {
        this.ip = formatIpv4(parseIpv4(ip))
        if (this.linkUp.values()[0]) await this.applyAddress(this.ip)
    }

    /** Free GC heap bytes now; gc_min_free follows the lowest value set. */
    setGcFree(bytes: number) {
        checkBytes(bytes, HEAP_BYTES)
        this.gcFree.setValues([bytes])
        if (bytes < this.gcMinFree.values()[0]) this.gcMinFree.setValues([bytes])
    }

    /** Free system heap bytes now; heap_min_free follows the lowest value set. */
    setHeapFree(bytes: number) {
        checkBytes(bytes)
        this.heapFree.setValues([bytes])
        if (bytes < this.heapMinFree.values()[0]) this.heapMinFree.setValues([bytes])
    }

    /** Another transport carries the sockets: counts the change (every change breaks sockets). */
    setTransport(t: Transport) {
        if (this.transport.values()[0] === t) return
        this.transport.setValues([t])
        this.transportChanges.setValues([this.transportChanges.values()[0] + 1])
    }

    setResetReason(r: ResetReason) {
        this.resetReason.setValues([r])
    }

    private async applyAddress(ip: string) {
        const bytes = parseIpv4(ip)
        const before = formatIpv4(this.ipAddress.values()[0])
        this.ipAddress.setValues([bytes])
        if (ip === before) return
        if (ip === "0.0.0.0") await this.sendEvent(PlatformEvent.LostAddress)
        else await this.sendEvent(PlatformEvent.GotAddress, jdpack<[Uint8Array]>("b[4]", [bytes]))
    }
}

/** The simulated board: a Jacdac device of its own carrying one platform service. */
export class PlatformDevice {
    readonly server: PlatformServer
    readonly provider: JDServerServiceProvider

    constructor(options: PlatformOptions = {}) {
        this.server = new PlatformServer(options)
        this.provider = new JDServerServiceProvider("picokubelet-platform-sim", [this.server], {
            deviceId: options.deviceId,
        })
    }

    get deviceId(): string {
        return this.provider.deviceId
    }

    /** Joins `bus`: the device announces itself with the next announce round. */
    attach(bus: JDBus) {
        bus.addServiceProvider(this.provider)
    }

    detach() {
        this.provider.bus?.removeServiceProvider(this.provider)
    }
}

function checkBytes(n: number, max = 0xffffffff): number {
    if (!Number.isInteger(n) || n < 0 || n > max) throw new RangeError(`byte count ${n} is not in 0..${max}`)
    return n
}

function stripUndefined<T extends object>(o: T): Partial<T> {
    return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
