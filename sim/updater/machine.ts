import { createHash } from "node:crypto"

// The simulator's updater, as services/picokubeletupdater.md describes it,
// without the bus: what native/ keeps in flash this keeps in Node memory,
// which outlives the VM process like the board's flash outlives a reset.
// Deploying is the caller's (server.ts sends the image to the VM's
// DeviceScript manager); this decides what to deploy and when.

export enum UpdaterState {
    Idle = 0,
    Staging = 1,
    Trial = 2,
    Failed = 3,
    RolledBack = 4,
}

/** Panics of a program on trial before it is rolled back. */
export const MAX_TRIAL_PANICS = 3

export interface Image {
    bytes: Buffer
    /** The OCI manifest digest it was installed from (32 bytes). */
    manifestDigest: Buffer
}

export interface MachineHooks {
    /** Stops the program and starts `image`; null: the board's own program (what it booted with). */
    deploy(image: Image | null): Promise<void>
    now(): number
    log?(line: string): void
}

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest()
const short = (digest: Buffer) => (digest.length ? `sha256:${digest.toString("hex").slice(0, 12)}` : "the image")

export class UpdaterMachine {
    state = UpdaterState.Idle
    error = ""
    rejectedDigest = Buffer.alloc(0)
    /** The image this machine installed and runs; null: the board's own program. */
    running: Image | null = null
    /** What a rollback deploys. */
    previous: Image | null = null
    private pieces: Buffer[] = []
    private stagedBytes = 0
    private expect?: { size: number; sha256: Buffer; manifestDigest: Buffer; trialMs: number }
    private trial?: { deadline: number; panics: number; trialMs: number }
    /** A deploy was started and has not finished. */
    private deploying = false
    /** The VM runs `running` (false after the board deployed its own program over it). */
    private vmRunsOurs = false

    constructor(
        /** Largest image; a test may shrink it, as a board with less free flash would. */
        public capacity: number,
        private readonly hooks: MachineHooks
    ) {}

    get staged(): number {
        return this.stagedBytes
    }

    /** Manifest digest of what the VM runs, when this machine put it there. */
    get runningDigest(): Buffer {
        return this.running && this.vmRunsOurs ? this.running.manifestDigest : Buffer.alloc(0)
    }

    /** `digests`: the image's SHA-256, then its manifest digest. */
    begin(size: number, trialSeconds: number, digests: Buffer) {
        if (this.state === UpdaterState.Trial) return
        this.pieces = []
        this.stagedBytes = 0
        this.expect = undefined
        this.error = ""
        this.rejectedDigest = Buffer.alloc(0)
        if (digests.length !== 64) return this.fail(Buffer.alloc(0), `begin with ${digests.length} bytes of digests, not 64`)
        const sha = digests.subarray(0, 32)
        const manifestDigest = digests.subarray(32)
        if (size === 0 || size % 32 !== 0 || size > this.capacity)
            return this.fail(manifestDigest, `an image of ${size} bytes is not whole 32-byte words within the ${this.capacity}-byte budget`)
        this.expect = { size, sha256: Buffer.from(sha), manifestDigest: Buffer.from(manifestDigest), trialMs: trialSeconds * 1000 }
        this.state = UpdaterState.Staging
    }

    write(offset: number, data: Buffer) {
        if (this.state !== UpdaterState.Staging || !this.expect) return
        if (offset !== this.stagedBytes || offset + data.length > this.expect.size) return
        this.pieces.push(Buffer.from(data))
        this.stagedBytes += data.length
    }

    commit() {
        if (this.state !== UpdaterState.Staging || !this.expect) return
        const e = this.expect
        this.expect = undefined
        const bytes = Buffer.concat(this.pieces)
        this.pieces = []
        if (bytes.length !== e.size) return this.fail(e.manifestDigest, `commit with ${bytes.length} of ${e.size} bytes staged`)
        const got = sha256(bytes)
        if (!got.equals(e.sha256))
            return this.fail(e.manifestDigest, `sha256 mismatch: the image hashes to sha256:${got.toString("hex")}, the manifest says sha256:${e.sha256.toString("hex")}`)
        this.previous = this.running && this.vmRunsOurs ? this.running : null
        this.running = { bytes, manifestDigest: e.manifestDigest }
        this.state = UpdaterState.Trial
        // the clock starts when the new program does (set again once the deploy is done)
        this.trial = { deadline: this.hooks.now() + e.trialMs, panics: 0, trialMs: e.trialMs }
        void this.deploy(this.running)
    }

    confirm() {
        if (this.state === UpdaterState.Trial) this.trial = undefined
        if (this.state === UpdaterState.Trial || this.state === UpdaterState.RolledBack || this.state === UpdaterState.Failed)
            this.state = UpdaterState.Idle
    }

    abort() {
        if (this.state !== UpdaterState.Staging) return
        this.pieces = []
        this.stagedBytes = 0
        this.expect = undefined
        this.state = UpdaterState.Idle
    }

    /** Called often: a trial past its deadline is rolled back. */
    tick() {
        const t = this.trial
        if (this.state === UpdaterState.Trial && t && !this.deploying && this.hooks.now() > t.deadline)
            this.rollBack(`did not confirm within ${t.trialMs / 1000} s`)
    }

    /** The VM's DeviceScript manager reported a panic of the program. */
    panicked() {
        const t = this.trial
        if (this.state !== UpdaterState.Trial || !t) return
        if (++t.panics >= MAX_TRIAL_PANICS) this.rollBack(`panicked ${t.panics} times`)
    }

    /**
     * The board powered on and deployed its own program. The image to deploy
     * over it, if any: the one this machine runs, or the previous one when
     * the power went while a deploy was writing.
     */
    afterBoot(): Image | null {
        this.vmRunsOurs = false
        if (this.deploying) {
            this.deploying = false
            if (this.state === UpdaterState.Trial) this.rollBack("the deploy was interrupted by a reset", false)
        }
        return this.running
    }

    /** The board's boot deploy of `afterBoot()`'s image finished. */
    deployed() {
        this.vmRunsOurs = true
    }

    private fail(manifestDigest: Buffer, why: string) {
        this.state = UpdaterState.Failed
        this.error = why
        this.rejectedDigest = Buffer.from(manifestDigest)
        this.hooks.log?.(`updater: failed: ${why}`)
    }

    private rollBack(why: string, deploy = true) {
        const failed = this.running
        this.state = UpdaterState.RolledBack
        this.trial = undefined
        this.rejectedDigest = failed ? Buffer.from(failed.manifestDigest) : Buffer.alloc(0)
        this.error = `${short(this.rejectedDigest)} ${why}`
        this.running = this.previous
        this.previous = null
        this.hooks.log?.(`updater: rolled back: ${this.error}`)
        if (deploy) void this.deploy(this.running)
    }

    private async deploy(image: Image | null) {
        this.deploying = true
        this.vmRunsOurs = false
        const started = this.hooks.now()
        try {
            await this.hooks.deploy(image)
            this.vmRunsOurs = true
            const t = this.trial
            if (t) t.deadline = this.hooks.now() + t.trialMs
            this.hooks.log?.(`updater: deployed in ${((this.hooks.now() - started) / 1000).toFixed(1)} s`)
        } catch (e: any) {
            // the VM went away mid-deploy: afterBoot() decides on the next power-on
            this.hooks.log?.(`updater: deploy failed: ${e.message}`)
            return
        }
        this.deploying = false
    }
}
