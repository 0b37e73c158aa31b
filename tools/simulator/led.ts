import {
    CMD_GET_REG,
    CMD_SET_REG,
    JDBus,
    JDDevice,
    LedReg,
    Packet,
    PACKET_PROCESS,
    SRV_LED,
} from "jacdac-ts"

// The firmware's pixel, read back over the Jacdac bus. In the simulator
// @devicescript/drivers' startLed hosts a Led service on the VM's own device
// and every show() writes the pixel buffer to that service's `pixels`
// register; the write travels through devtools like any packet. Watching
// those writes (and the reports of our own reads) gives every colour the
// firmware shows, in order, with the time it arrived here.

export interface LedSample {
    /** Date.now() when the packet reached this process. */
    t: number
    /** 0xRRGGBB of the first pixel. */
    rgb: number
}

/** Colour changes kept in the history (about 7 minutes of a breathing LED). */
const HISTORY_MAX = 10000

const PIXELS_SET = CMD_SET_REG | LedReg.Pixels
const PIXELS_GET = CMD_GET_REG | LedReg.Pixels

/**
 * DeviceScript hosts the servers a program starts (startServer, startLed) on
 * a second device whose id is the VM's id XOR 0xdb2249a7751b53f8
 * (devs_jd_server_device_id in runtime/devicescript/jdiface.c). Device ids
 * are the 8 bytes in wire order, so the XOR is bytewise on the hex string.
 */
export function serverDeviceId(vmDeviceId: string): string {
    const vm = Buffer.from(vmDeviceId, "hex")
    if (vm.length !== 8) throw new Error(`not a device id: ${vmDeviceId}`)
    const mask = Buffer.alloc(8)
    mask.writeBigUInt64LE(0xdb2249a7751b53f8n)
    return Buffer.from(vm.map((b, i) => b ^ mask[i])).toString("hex")
}

function firstPixel(data: Uint8Array): number | undefined {
    if (data.length < 3) return undefined
    return (data[0] << 16) | (data[1] << 8) | data[2]
}

export function rgbHex(rgb: number): string {
    return "#" + rgb.toString(16).padStart(6, "0")
}

export class LedWatcher {
    /** The last colour seen; undefined until the firmware showed one. */
    color: number | undefined
    private recordings: LedSample[][] = []
    private history: LedSample[] = []
    private colorWaiters: { test: (rgb: number) => boolean; resolve: (rgb: number) => void }[] = []
    private readers: ((rgb: number) => void)[] = []
    private readonly unsubscribe: () => void
    /** The device that carries the program's Led service. */
    readonly deviceId: string

    /** `vmDeviceId` is the VM's device id (16 hex digits, as given to `devs vm --device-id`). */
    constructor(
        private readonly bus: JDBus,
        readonly vmDeviceId: string
    ) {
        this.deviceId = serverDeviceId(vmDeviceId)
        this.unsubscribe = bus.subscribe(PACKET_PROCESS, (pkt: Packet) => this.onPacket(pkt))
    }

    private ledIndex(dev: JDDevice | undefined): number | undefined {
        return dev?.services({ serviceClass: SRV_LED })[0]?.serviceIndex
    }

    private onPacket(pkt: Packet) {
        if (pkt.deviceIdentifier !== this.deviceId) return
        const isSet = pkt.isCommand && pkt.serviceCommand === PIXELS_SET
        const isReport = !pkt.isCommand && pkt.serviceCommand === PIXELS_GET
        if (!isSet && !isReport) return
        if (pkt.serviceIndex !== this.ledIndex(pkt.device)) return
        const rgb = firstPixel(pkt.data)
        if (rgb === undefined) return
        if (isReport) {
            const readers = this.readers
            this.readers = []
            readers.forEach(r => r(rgb))
        }
        if (rgb === this.color && isReport) return
        this.color = rgb
        const sample = { t: Date.now(), rgb }
        this.history.push(sample)
        if (this.history.length > HISTORY_MAX) this.history.splice(0, this.history.length - HISTORY_MAX)
        for (const r of this.recordings) r.push(sample)
        this.colorWaiters = this.colorWaiters.filter(w => {
            if (!w.test(rgb)) return true
            w.resolve(rgb)
            return false
        })
    }

    /**
     * Starts recording colour changes; the returned array fills as they
     * arrive, until stopLedRecording(samples).
     */
    startRecording(): LedSample[] {
        const samples: LedSample[] = []
        if (this.color !== undefined) samples.push({ t: Date.now(), rgb: this.color })
        this.recordings.push(samples)
        return samples
    }

    /** Resolves with the current or the next colour that passes `test`. */
    waitFor(test: (rgb: number) => boolean, timeoutMs: number): Promise<number> {
        if (this.color !== undefined && test(this.color)) return Promise.resolve(this.color)
        return new Promise((resolve, reject) => {
            const timer = setTimeout(() => {
                this.colorWaiters = this.colorWaiters.filter(w => w.resolve !== done)
                const last = this.history.slice(-12).map(x => rgbHex(x.rgb))
                reject(new Error(`no matching LED colour within ${timeoutMs} ms; last: ${last.join(" ")}`))
            }, timeoutMs)
            const done = (rgb: number) => {
                clearTimeout(timer)
                resolve(rgb)
            }
            this.colorWaiters.push({ test, resolve: done })
        })
    }

    /** Every colour change since the bus started (the latest HISTORY_MAX). */
    samples(): LedSample[] {
        return this.history.slice()
    }

    stopRecording(samples: LedSample[]) {
        this.recordings = this.recordings.filter(r => r !== samples)
    }

    /** Reads the pixels register of the VM's Led service now. */
    async read(timeoutMs = 2000): Promise<number> {
        const deadline = Date.now() + timeoutMs
        for (;;) {
            const dev = this.bus.device(this.deviceId, true)
            const index = this.ledIndex(dev)
            if (dev && index !== undefined) {
                const got = new Promise<number | undefined>(resolve => {
                    const timer = setTimeout(() => resolve(undefined), 300)
                    this.readers.push(rgb => {
                        clearTimeout(timer)
                        resolve(rgb)
                    })
                })
                const pkt = Packet.onlyHeader(PIXELS_GET)
                pkt.serviceIndex = index
                await pkt.sendCmdAsync(dev)
                const rgb = await got
                if (rgb !== undefined) return rgb
            }
            if (Date.now() > deadline)
                throw new Error(
                    dev
                        ? `no pixels report from the Led service of ${this.deviceId} within ${timeoutMs} ms`
                        : `device ${this.deviceId} has no Led service on the bus (yet)`
                )
            await new Promise(r => setTimeout(r, 100))
        }
    }

    stop() {
        this.unsubscribe()
        this.recordings = []
    }
}
