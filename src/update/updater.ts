// The Picokubelet Updater service (services/picokubeletupdater.md) as the
// firmware reconciler uses it. `new ds.PicokubeletUpdater()` has this shape;
// the reconciler's tests pass a fake of the same shape.

export const STATE_STAGING = 1
export const STATE_TRIAL = 2
export const STATE_FAILED = 3
export const STATE_ROLLED_BACK = 4

export interface Readable<T> {
    read(): Promise<T>
}

export interface UpdaterPort {
    /** Some device serves the role: a register read would otherwise wait for one. */
    readonly isBound: boolean
    readonly capacity: Readable<number>
    readonly staged: Readable<number>
    readonly state: Readable<number>
    readonly runningDigest: Readable<Buffer>
    readonly rejectedDigest: Readable<Buffer>
    readonly error: Readable<string>
    readonly runtimeVersion: Readable<string>
    /** `digests`: the image's SHA-256, then its manifest digest (64 bytes). */
    begin(size: number, trialSeconds: number, digests: Buffer): Promise<void>
    write(offset: number, data: Buffer): Promise<void>
    commit(): Promise<void>
    confirm(): Promise<void>
    abort(): Promise<void>
}
