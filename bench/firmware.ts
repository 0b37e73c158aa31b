// The firmware in the simulator against the bench's emulator, with the
// arrival time of every log line (Node's clock, the emulator's clock too) so
// figures can be timed from the program's own `start:` line, and with the
// ways a run dies (out of memory, a panic, a program restart) surfaced as a
// promise a caller can race against.
import type { ApiServer } from "../tools/apiserver"
import { Settings, Simulator } from "../tools/simulator"

export interface Line {
    index: number
    text: string
    /** Date.now() when the line reached this process. */
    at: number
}

/** The program died, or did not log what it should have in time. */
export class FirmwareFailure extends Error {}

/** The API server the firmware talks to: the emulator, or a proxy in front of a real one. */
export type FirmwareTarget = Pick<ApiServer, "port" | "caFile"> & { tokens: Pick<ApiServer["tokens"], "bootstrap"> }

export interface FirmwareOptions {
    node: string
    /** Settings on top of the emulator's address and bootstrap token. */
    settings?: Settings
    /** Default src/main.ts: the kubelet as built. */
    entry?: string
}

/** How long the heap dumper's lines may trail the program's out-of-memory exception. */
const OOM_DUMP_GRACE_MS = 500

export class Firmware {
    private times: number[] = []
    private starts = 0
    private outOfMemory = false
    /** The function where the heap ran out: the first frame after the exception. */
    private oomFrame?: string
    private onDeath!: (why: string) => void
    /** Resolves with a description when the program ran out of memory, panicked or restarted. */
    readonly died = new Promise<string>(resolve => (this.onDeath = resolve))
    /**
     * Date.now() of devtools' first output: the launch (devtools, VM, build,
     * deploy) from there on, after any wait for another simulator session.
     */
    launchedAt = 0
    private sim!: Simulator

    private constructor() {}

    static async start(api: FirmwareTarget, opts: FirmwareOptions): Promise<Firmware> {
        const fw = new Firmware()
        fw.sim = await Simulator.start({
            entry: opts.entry,
            settings: {
                K3S_HOST: "localhost",
                K3S_PORT: api.port,
                K3S_TOKEN: api.tokens.bootstrap,
                NODE_NAME: opts.node,
                // the real lease duration: it is in every Lease reply, so it costs its real bytes
                LEASE_SECS: 40,
                ...opts.settings,
            },
            vmEnv: { NODE_EXTRA_CA_CERTS: api.caFile! },
            platform: { ip: "192.168.0.111", gcFree: 40000 },
            onLog: line => fw.noteLine(line),
            // the VM prints its panics outside the program's own output
            onToolLog: line => {
                fw.launchedAt ||= Date.now()
                const panic = /PANIC (\d+)/.exec(line)
                // a moment's grace: the program's own lines name where it died
                if (panic)
                    setTimeout(
                        () => fw.onDeath(panic[1] === "60004" ? (fw.oomFrame ? `OutOfMemory in ${fw.oomFrame}` : "PANIC 60004 (OutOfMemory)") : `PANIC ${panic[1]}`),
                        200
                    )
            },
        })
        return fw
    }

    private noteLine(text: string) {
        this.times.push(Date.now())
        if (/^Exception: OutOfMemory/.test(text)) this.outOfMemory = true
        // the stack's first frame follows the exception line: say where the heap ran out
        const frame = /^\s*at (\S+)/.exec(text)
        if (frame && this.outOfMemory && !this.oomFrame) {
            this.oomFrame = frame[1]
            // the heap dumper's lines come with the VM's panic, on its stderr, not with the program's: a moment's grace for them
            setTimeout(() => this.onDeath(`OutOfMemory in ${frame[1]}`), OOM_DUMP_GRACE_MS)
        }
        if (/^start: /.test(text) && ++this.starts > 1) this.onDeath("the program restarted")
    }

    get lineCount(): number {
        return this.sim.logs.length
    }

    /** The program's log lines from index `from` on. */
    linesFrom(from: number): string[] {
        return this.sim.logs.slice(from)
    }

    /** The first line matching `re` at or after `from` (already seen or future). */
    async waitFor(re: RegExp, timeoutMs: number, from = 0): Promise<Line> {
        const text = await this.sim.waitForLog(re, timeoutMs, from).catch(e => {
            throw new FirmwareFailure(e.message)
        })
        const index = this.sim.logs.indexOf(text, from)
        return { index, text, at: this.times[index] }
    }

    /** The `count`-th line matching `re` at or after `from`. */
    async waitForNth(re: RegExp, count: number, timeoutMs: number, from = 0): Promise<Line> {
        const deadline = Date.now() + timeoutMs
        let line: Line = { index: from - 1, text: "", at: 0 }
        for (let i = 0; i < count; i++) line = await this.waitFor(re, Math.max(1, deadline - Date.now()), line.index + 1)
        return line
    }

    /**
     * `work`, unless the program dies first. Both sides are marked handled:
     * the loser of the race may still settle (a log wait timing out) later.
     */
    async guard<T>(what: string, work: Promise<T>): Promise<T> {
        const death = this.died.then(why => {
            throw new FirmwareFailure(`firmware died ${what}: ${why}`)
        })
        death.catch(() => {})
        work.catch(() => {})
        return await Promise.race([work, death])
    }

    private stopping?: Promise<void>

    /** Stops the simulator (once: a second call waits for the first). */
    stop(): Promise<void> {
        return (this.stopping ??= this.sim.stop())
    }
}
