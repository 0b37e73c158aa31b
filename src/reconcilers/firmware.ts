import { nodeSubject } from "../k8s/events"
import { Backoff } from "../kubelet/backoff"
import { Kubelet } from "../kubelet/kubelet"
import { Endpoint, tokenOf, tokenRequest } from "../update/auth"
import { checkManifest, FirmwareLayer, MANIFEST_TYPE, MAX_MANIFEST_BYTES } from "../update/manifest"
import { digestBytes, digestString, ImageReference, parseImageReference } from "../update/reference"
import { Readable, STATE_FAILED, STATE_ROLLED_BACK, STATE_STAGING, STATE_TRIAL, UpdaterPort } from "../update/updater"

// Runs the firmware the Node's picokubelet.dev/firmware annotation names.
// Every renew period it compares the desired digest (read from the status
// post's reply) with the one it runs; when they differ it pulls the
// manifest, checks it, and pulls the layer in Range windows that it hands
// to the updater service, which verifies, deploys and keeps the previous
// image. The registry shares the API server's socket: a renewal between two
// windows closes the registry connection and reopens the API server's, so
// the node keeps renewing while it pulls. A program on trial confirms after
// its first renewal; the updater rolls back one that never does.

/** Bytes per Range request: one window is all the pull ever holds in the heap. */
export const WINDOW_BYTES = 2048
/** Bytes per write command: seven 32-byte flash words, under Jacdac's 236-byte payload. */
export const PIECE_BYTES = 224
/** Writes of one window again when the updater missed a piece. */
const WINDOW_TRIES = 3
/** Reads of an updater register before giving up on a change: together longer than DeviceScript's 500 ms register cache. */
const SETTLE_POLLS = 4
const SETTLE_POLL_MS = 200
const NO_UPDATER = "failed: this device has no updater service"
/** How long a refused commit takes to show in the updater's state. */
const COMMIT_WAIT_MS = 10000

/** What a registry reply gives the pull (HttpClient's Response has it). */
export interface RegistryResponse {
    status: number
    headers: { get(name: string): string }
    buffer(): Buffer
}

export type RegistryFetch = (
    path: string,
    init: { method: string; headers: any; bodyMode: "buffer"; maxBody: number }
) => Promise<RegistryResponse>

/** A fetch for a registry, or for its token realm. */
export type OpenRegistry = (at: Endpoint) => RegistryFetch

/** A token response is a few hundred bytes to a few KB (a JWT with its certificate chain). */
const MAX_TOKEN_BYTES = 4096

export class FirmwareReconciler {
    /** The updater's registers were read since boot. */
    private known = false
    private confirmed = false
    /** This program was installed by the updater and has not confirmed yet. */
    private onTrial = false
    /** Manifest digest of the running image, "" when unknown. */
    private running = ""
    /** The manifest digest the updater rolled back before this boot, and why; "" for none. */
    private rolledBack = ""
    private rolledBackWhy = ""
    /** A desired reference this program will not try again (until the annotation changes). */
    private refused = ""
    private retryAtMs = 0
    private readonly backoff: Backoff
    /** This pull's bearer token, when the registry asked for one; never logged. */
    private bearer = ""

    constructor(
        private readonly k: Kubelet,
        private readonly updater: UpdaterPort,
        private readonly openRegistry: OpenRegistry,
        private readonly requestPost: (why: string) => void
    ) {
        // a registry that is down is asked again after 5 s, then up to every 5 min
        this.backoff = new Backoff(5000, 300000, 0.2, k.random)
    }

    async run() {
        while (true) {
            await this.cycle()
            await this.k.timer.sleep(this.k.config.renewSeconds * 1000)
        }
    }

    /** One comparison of desired and running, and a pull when they differ. */
    async cycle() {
        try {
            await this.step()
        } catch (e: any) {
            console.error(`firmware: ${e.message}`)
        }
    }

    private async step() {
        const k = this.k
        const u = this.updater
        const desired = k.desiredFirmware
        if (!u.isBound) {
            // the role binds a moment after the program starts: a verdict only once the node renews
            if (desired && k.renewals > 0 && k.firmware.status !== NO_UPDATER) {
                this.report(NO_UPDATER)
                await k.postEvent(nodeSubject(k.config.nodeName), "Warning", "FirmwareUpdateFailed", `${desired}: this device has no updater service`)
            }
            return
        }
        if (!this.known) await this.boot()
        if (!this.confirmed && k.renewals > 0) await this.confirm()
        // a program on trial is not "running" until it confirms: the updater may still roll it back
        const settled = this.confirmed || !this.onTrial
        // a refusal holds while the annotation names the refused reference
        if (desired !== this.refused) this.refused = ""
        if (!desired) return settled ? this.report("running") : undefined
        if (this.refused) return
        const ref = parseImageReference(desired)
        if (typeof ref === "string") return await this.refuse(desired, ref)
        if (ref.digest === this.running) return settled ? this.report("running") : undefined
        if (ref.digest === this.rolledBack) {
            this.refused = desired
            return this.report(`rolled back: ${this.rolledBackWhy}`)
        }
        // a program on trial must confirm before it stages another
        if (!this.confirmed || k.timer.now() < this.retryAtMs) return
        await this.pull(desired, ref)
    }

    /** Reads what the updater knows and tells the cluster what happened before this boot. */
    private async boot() {
        const u = this.updater
        const node = nodeSubject(this.k.config.nodeName)
        this.running = digestString(await u.runningDigest.read())
        const state = await u.state.read()
        this.known = true
        this.onTrial = state === STATE_TRIAL
        this.report(this.onTrial ? "installing" : "running")
        if (state === STATE_ROLLED_BACK) {
            // this program came back in its place: that image is not pulled again while it lives
            const why = await u.error.read()
            this.rolledBack = digestString(await u.rejectedDigest.read())
            this.rolledBackWhy = why
            this.report(`rolled back: ${why}`)
            await this.k.postEvent(node, "Warning", "FirmwareRolledBack", `Rolled back to ${this.running || "the factory image"}: ${why}`)
        } else if (state === STATE_TRIAL) {
            await this.k.postEvent(node, "Normal", "FirmwareStarted", `Started firmware ${this.k.identity.firmwareVersion} (${this.running}) on trial`)
        }
        console.log(`firmware: running ${this.running || "an image the updater did not install"} (${this.k.identity.firmwareVersion || "no version"}), updater state ${state}`)
    }

    private async confirm() {
        await this.updater.confirm()
        this.confirmed = true
        console.log(`firmware: confirmed after the first renewal`)
        if (this.onTrial) {
            const k = this.k
            await k.postEvent(nodeSubject(k.config.nodeName), "Normal", "FirmwareUpdated", `Firmware ${k.identity.firmwareVersion} (${this.running}) confirmed after its first lease renewal`)
        }
    }

    /** Sets the status annotation; a change asks for a status post unless the caller posts it. */
    private report(status: string, post = true) {
        const f = this.k.firmware
        if (f.status === status && f.digest === this.running) return
        f.status = status
        f.digest = this.running
        console.log(`firmware: ${status}`)
        if (post) this.requestPost("firmware " + status)
    }

    /** A failure that trying again would repeat: told once, not tried again until the annotation changes. */
    private async refuse(desired: string, why: string) {
        this.refused = desired
        this.report(`failed: ${why}`)
        await this.k.postEvent(nodeSubject(this.k.config.nodeName), "Warning", "FirmwareUpdateFailed", `${desired}: ${why}`)
    }

    private async pull(desired: string, ref: ImageReference) {
        const u = this.updater
        try {
            this.report("pulling 0%")
            this.bearer = ""
            const fetch = this.openRegistry(ref)
            const layer = await this.manifest(fetch, ref)
            if (typeof layer === "string") return await this.refuse(desired, layer)
            const leaseSeconds = this.k.config.leaseSeconds
            // a minute for a boot and a first renewal, plus a lease for its retries
            await u.begin(layer.size, 60 + leaseSeconds, Buffer.concat(digestBytes(layer.digest), digestBytes(ref.digest)))
            const state = await this.settled(u.state, s => s === STATE_STAGING || s === STATE_FAILED)
            if (state === STATE_FAILED) return await this.refuse(desired, await u.error.read())
            if (state !== STATE_STAGING) throw new Error(`the updater did not take begin (state ${state})`)
            console.log(`firmware: pulling ${layer.size} bytes of ${layer.version || layer.digest} in ${WINDOW_BYTES}-byte windows`)
            for (let off = 0; off < layer.size; off += WINDOW_BYTES) {
                // the annotation moved on: this image is no longer wanted
                if (this.k.desiredFirmware !== desired) {
                    await u.abort()
                    return
                }
                const refusal = await this.window(fetch, ref, layer, off)
                if (refusal) return await this.refuse(desired, refusal)
                const quarter = Math.floor((4 * (off + WINDOW_BYTES)) / layer.size)
                if (quarter > Math.floor((4 * off) / layer.size) && quarter < 4) this.report(`pulling ${quarter * 25}%`)
            }
            this.backoff.reset()
            await this.install(desired, ref, layer)
        } catch (e: any) {
            // the registry or the network failed: another try may not
            await u.abort()
            const delay = this.backoff.next()
            this.retryAtMs = this.k.timer.now() + delay
            this.report(`retrying: ${e.message}`)
            console.error(`firmware: pull of ${ref.digest} failed: ${e.message}; again in ${delay} ms`)
        }
    }

    /** The checked manifest's layer, or why it is refused; a registry fault throws. */
    private async manifest(fetch: RegistryFetch, ref: ImageReference): Promise<FirmwareLayer | string> {
        const res = await this.get(fetch, `/v2/${ref.repository}/manifests/${ref.digest}`, "Accept", MANIFEST_TYPE, MAX_MANIFEST_BYTES)
        const refusal = registryRefusal("manifest", res.status)
        if (refusal) return refusal
        const u = this.updater
        return checkManifest(res.buffer(), {
            digest: ref.digest,
            runtimeVersion: await u.runtimeVersion.read(),
            capacity: await u.capacity.read(),
        })
    }

    /** Pulls bytes [off, off + WINDOW_BYTES) of the layer and hands them to the updater; "" or why the blob is refused. */
    private async window(fetch: RegistryFetch, ref: ImageReference, layer: FirmwareLayer, off: number): Promise<string> {
        const end = Math.min(layer.size, off + WINDOW_BYTES)
        const res = await this.get(fetch, `/v2/${ref.repository}/blobs/${layer.digest}`, "Range", `bytes=${off}-${end - 1}`, WINDOW_BYTES)
        const refusal = registryRefusal("blob", res.status)
        if (refusal) return refusal
        // a registry that ignores Range sends the whole blob, which must never sit in the heap
        if (res.status !== 206) return `blob: the registry answered ${res.status} to a Range request`
        const data = res.buffer()
        if (data.length !== end - off) throw new Error(`blob: ${data.length} bytes for the ${end - off}-byte window at ${off}`)
        const u = this.updater
        let from = 0
        for (let tries = 0; tries < WINDOW_TRIES; tries++) {
            for (let i = from; i < data.length; i += PIECE_BYTES) await u.write(off + i, data.slice(i, Math.min(data.length, i + PIECE_BYTES)))
            // writes are not acknowledged: the updater's count says what arrived
            const staged = await this.settled(u.staged, n => n === end)
            if (staged === end) return ""
            if (staged < off || staged > end) throw new Error(`the updater staged ${staged} bytes, expected ${off} to ${end}`)
            from = staged - off
        }
        throw new Error(`the updater did not take the window at ${off}`)
    }

    /**
     * GET from the registry with one header. A 401 with a Bearer challenge
     * fetches an anonymous token from its realm, and the request goes again
     * with the token (kept for the rest of this pull, a few hundred bytes to
     * a few KB: it rides on every window).
     */
    private async get(fetch: RegistryFetch, path: string, header: string, value: string, maxBody: number): Promise<RegistryResponse> {
        const headers: any = {}
        headers[header] = value
        const init = { method: "GET", headers, bodyMode: "buffer" as "buffer", maxBody }
        if (this.bearer) headers["Authorization"] = "Bearer " + this.bearer
        const res = await fetch(path, init)
        // no token yet, or one that expired during a long pull: a new one, once
        if (res.status !== 401) return res
        const at = tokenRequest(res.headers.get("www-authenticate"))
        if (typeof at === "string") return res
        const token = await this.openRegistry(at)(at.path, { method: "GET", headers: {}, bodyMode: "buffer", maxBody: MAX_TOKEN_BYTES })
        // a realm that is down is tried again like the registry; a refusal leaves the 401 standing
        if (registryRefusal("token", token.status)) return res
        this.bearer = tokenOf(token.buffer())
        if (!this.bearer) return res
        headers["Authorization"] = "Bearer " + this.bearer
        return await fetch(path, init)
    }

    /**
     * A register's value once it passes `done`, or the last one read. A
     * command is not acknowledged and a read may come from DeviceScript's
     * 500 ms register cache: the updater reports each change, and a missed
     * report is made good by reading again past the cache's life.
     */
    private async settled(reg: Readable<number>, done: (v: number) => boolean, polls = SETTLE_POLLS): Promise<number> {
        let v = await reg.read()
        for (let i = 0; !done(v) && i < polls; i++) {
            await this.k.timer.sleep(SETTLE_POLL_MS)
            v = await reg.read()
        }
        return v
    }

    /** Tells the cluster, then commits: a good image replaces this program; a bad one is refused and this program goes on. */
    private async install(desired: string, ref: ImageReference, layer: FirmwareLayer) {
        const k = this.k
        const u = this.updater
        // posted here, not asked for: a good commit ends this program
        this.report("installing", false)
        await k.postEvent(nodeSubject(k.config.nodeName), "Normal", "FirmwareInstalling", `Installing ${layer.version || layer.digest} from ${desired}`)
        try {
            await k.postStatus("firmware installing")
        } catch (e: any) {
            console.error(`firmware: status before installing not posted: ${e.message}`)
        }
        console.log(`firmware: commit ${ref.digest}`)
        await u.commit()
        const state = await this.settled(u.state, s => s === STATE_FAILED || s === STATE_TRIAL, COMMIT_WAIT_MS / SETTLE_POLL_MS)
        if (state === STATE_FAILED) await this.refuse(desired, await u.error.read())
    }
}

/** Why a registry status ends the pull; "" for success. A server fault or throttling throws: it is tried again. */
function registryRefusal(what: string, status: number): string {
    if (status >= 200 && status < 300) return ""
    if (status >= 500 || status === 429 || status === 408) throw new Error(`${what}: the registry answered ${status}`)
    if (status === 401) return `${what}: the registry refused anonymous access (401)`
    return `${what}: the registry answered ${status}`
}
