// The firmware loop one cycle at a time: desired reference in, registry
// requests, updater commands, status and events out. Fake clock, scripted
// API server, a registry serving one artifact from memory, a fake updater.
import { digest } from "@devicescript/crypto"
import { describe, test } from "../harness"
import { expectContains, expectEqual } from "../matchers"
import { FirmwareReconciler, RegistryFetch, RegistryResponse } from "../../../src/reconcilers/firmware"
import { digestString } from "../../../src/update/reference"
import { Readable, UpdaterPort } from "../../../src/update/updater"
import { NODE_EVENT, rig, Rig } from "./fakes"

const BLOB_BYTES = 5000

function blob(): Buffer {
    const b = Buffer.alloc(BLOB_BYTES)
    for (let i = 0; i < BLOB_BYTES; i++) b[i] = (i * 7) & 0xff
    return b
}

function reg<T>(get: () => T): Readable<T> {
    return { read: async () => get() }
}

/** The updater as the spec describes it, in memory; `dropWrite` loses one write command. */
class FakeUpdater implements UpdaterPort {
    isBound = true
    st = 0
    stagedBytes = 0
    size = 0
    err = ""
    running = Buffer.alloc(0)
    rejected = Buffer.alloc(0)
    cap = 131072
    runtime = "v2.16.4"
    /** A commit's outcome: Trial, or Failed with this error. */
    commitError = ""
    dropWrite = -1
    writes = 0
    stale = 0
    before = 0
    log: string[] = []
    readonly capacity: Readable<number>
    readonly staged: Readable<number>
    readonly state: Readable<number>
    readonly runningDigest: Readable<Buffer>
    readonly rejectedDigest: Readable<Buffer>
    readonly error: Readable<string>
    readonly runtimeVersion: Readable<string>

    constructor() {
        const self = this
        this.capacity = reg(() => self.cap)
        this.staged = reg(() => self.stagedBytes)
        // a read right after a command may come from the client's cache: `stale` reads of the old state
        this.state = reg(() => (self.stale-- > 0 ? self.before : self.st))
        this.runningDigest = reg(() => self.running)
        this.rejectedDigest = reg(() => self.rejected)
        this.error = reg(() => self.err)
        this.runtimeVersion = reg(() => self.runtime)
    }
    async begin(size: number, trialSeconds: number, digests: Buffer) {
        this.log.push(`begin ${size} ${trialSeconds} ${digestString(digests.slice(0, 32)).slice(0, 15)} ${digestString(digests.slice(32)).slice(0, 15)}`)
        this.before = this.st
        this.st = 1
        this.size = size
        this.stagedBytes = 0
    }
    async write(offset: number, data: Buffer) {
        if (this.writes++ === this.dropWrite) return
        if (this.st === 1 && offset === this.stagedBytes) this.stagedBytes += data.length
    }
    async commit() {
        this.log.push(`commit ${this.stagedBytes}`)
        this.st = this.commitError ? 3 : 2
        this.err = this.commitError
    }
    async confirm() {
        this.log.push("confirm")
    }
    async abort() {
        this.log.push("abort")
        this.st = 0
    }
}

/** One artifact in memory; `faults` answers the n-th request (from 0) with a status instead. */
class FakeRegistry {
    readonly layer = blob()
    manifest: Buffer
    requests: string[] = []
    faults: number[] = []
    faultStatus = 503
    /** Set: the registry wants this bearer token, from its realm at /token. */
    token = ""
    authorizations: string[] = []
    /** The request (from 0) at which the token expires. */
    rotateAt = -1

    constructor(o: { runtime?: string } = {}) {
        const m = {
            schemaVersion: 2,
            mediaType: "application/vnd.oci.image.manifest.v1+json",
            artifactType: "application/vnd.picokubelet.firmware.v1",
            layers: [{ mediaType: "application/vnd.picokubelet.firmware.layer.v1.devs", digest: digestString(digest("sha256", this.layer)), size: BLOB_BYTES }],
            annotations: { "picokubelet.dev/runtime-version": o.runtime || "v2.16.4", "picokubelet.dev/firmware-version": "v0.2.0" },
        }
        this.manifest = Buffer.from(JSON.stringify(m))
    }

    reference(): string {
        return `127.0.0.1:5000/picokubelet/firmware@${digestString(digest("sha256", this.manifest))}`
    }

    fetch(): RegistryFetch {
        const self = this
        return async (path, init) => {
            const range: string = init.headers.Range
            const reply = (status: number, body: Buffer, challenge?: string): RegistryResponse => ({
                status,
                headers: { get: (n: string): string => (n === "www-authenticate" && challenge ? challenge : null) },
                buffer: () => body,
            })
            if (path.indexOf("/token?") === 0) {
                self.requests.push(path)
                return reply(200, Buffer.from(`{"token":"${self.token}","expires_in":300}`))
            }
            // the digests are long: the path up to them says which
            const what = path.slice(0, path.indexOf("/sha256:"))
            self.requests.push(range ? `${what} ${range}` : what)
            // the token expires here: the realm hands out another
            if (self.requests.length - 1 === self.rotateAt) self.token += "2"
            if (self.token) {
                const auth: string = init.headers.Authorization
                self.authorizations.push(auth || "")
                if (auth !== "Bearer " + self.token)
                    return reply(401, Buffer.from('{"errors":[{"code":"UNAUTHORIZED"}]}'), 'Bearer realm="http://127.0.0.1:5001/token",service="registry",scope="repository:picokubelet/firmware:pull"')
            }
            if (self.faults.indexOf(self.requests.length - 1) >= 0) return reply(self.faultStatus, Buffer.alloc(0))
            if (!range) return reply(200, self.manifest)
            const dash = range.indexOf("-")
            const from = parseInt(range.slice(6, dash))
            const to = parseInt(range.slice(dash + 1))
            return reply(206, self.layer.slice(from, to + 1))
        }
    }
}

interface FirmwareRig extends Rig {
    fw: FirmwareReconciler
    updater: FakeUpdater
    registry: FakeRegistry
    asked: string[]
}

function firmwareRig(registry = new FakeRegistry()): FirmwareRig {
    const r = rig()
    const updater = new FakeUpdater()
    const asked: string[] = []
    const fw = new FirmwareReconciler(r.k, updater, ref => registry.fetch(), why => {
        asked.push(why)
    })
    return { k: r.k, timer: r.timer, server: r.server, platform: r.platform, led: r.led, fw, updater, registry, asked }
}

/** Reasons of the events posted so far. */
function events(r: Rig): string[] {
    return r.server.requests.filter(q => q.method + " " + q.path === NODE_EVENT).map(q => JSON.parse(q.body).reason)
}

const MANIFEST = "/v2/picokubelet/firmware/manifests"
const BLOB = "/v2/picokubelet/firmware/blobs"

describe("firmware reconciler", () => {
    test("nothing desired: reports running and pulls nothing", async () => {
        const r = firmwareRig()
        await r.fw.cycle()
        expectEqual([r.k.firmware.status, r.registry.requests, r.asked], ["running", [], ["firmware running"]])
    })
    test("confirms only after the first renewal", async () => {
        const r = firmwareRig()
        await r.fw.cycle()
        r.k.renewals = 1
        await r.fw.cycle()
        await r.fw.cycle()
        expectEqual(r.updater.log, ["confirm"])
    })
    test("a new reference: manifest, three Range windows in 224-byte writes, installing, commit", async () => {
        const r = firmwareRig()
        r.k.renewals = 1
        r.k.desiredFirmware = r.registry.reference()
        await r.fw.cycle()
        expectEqual(r.registry.requests, [MANIFEST, `${BLOB} bytes=0-2047`, `${BLOB} bytes=2048-4095`, `${BLOB} bytes=4096-4999`])
        const sha = digestString(digest("sha256", r.registry.layer)).slice(0, 15)
        const pinned = digestString(digest("sha256", r.registry.manifest)).slice(0, 15)
        expectEqual(r.updater.log, ["confirm", `begin 5000 100 ${sha} ${pinned}`, "commit 5000"])
        // 10 pieces per full window, 5 for the last 904 bytes
        expectEqual(r.updater.writes, 10 + 10 + 5)
        // installing is posted by the reconciler itself, before the commit
        expectEqual(r.asked, ["firmware running", "firmware pulling 0%", "firmware pulling 25%", "firmware pulling 75%"])
        expectEqual(events(r), ["FirmwareInstalling"])
        expectContains(r.server.requests[1].path, "/api/v1/nodes/n1/status")
    })
    test("a write the updater missed is sent again from what it staged", async () => {
        const r = firmwareRig()
        r.k.renewals = 1
        r.updater.dropWrite = 12
        r.k.desiredFirmware = r.registry.reference()
        await r.fw.cycle()
        expectEqual(r.updater.log.slice(-1), ["commit 5000"])
        expectEqual(r.updater.writes, 25 + 8)
    })
    test("a 503 mid-pull: abort, retry after the back-off, from the start", async () => {
        const r = firmwareRig()
        r.k.renewals = 1
        r.registry.faults = [2]
        r.k.desiredFirmware = r.registry.reference()
        await r.fw.cycle()
        expectEqual(r.k.firmware.status, "retrying: blob: the registry answered 503")
        expectEqual(r.updater.log.slice(-1), ["abort"])
        r.timer.ms += 4000
        await r.fw.cycle()
        expectEqual(r.registry.requests.length, 3)
        r.timer.ms += 1000
        await r.fw.cycle()
        expectEqual(r.registry.requests.length, 3 + 4)
        expectEqual(r.updater.log.slice(-1), ["commit 5000"])
    })
    test("a manifest for another runtime is refused before the download, once", async () => {
        const r = firmwareRig(new FakeRegistry({ runtime: "v2.15.0" }))
        r.k.renewals = 1
        r.k.desiredFirmware = r.registry.reference()
        await r.fw.cycle()
        await r.fw.cycle()
        expectEqual(r.registry.requests, [MANIFEST])
        expectEqual(r.k.firmware.status, "failed: built for runtime v2.15.0, this device runs v2.16.4")
        expectEqual(events(r), ["FirmwareUpdateFailed"])
    })
    test("an image larger than the updater's capacity is refused before the download", async () => {
        const r = firmwareRig()
        r.k.renewals = 1
        r.updater.cap = 4096
        r.k.desiredFirmware = r.registry.reference()
        await r.fw.cycle()
        expectEqual(r.registry.requests, [MANIFEST])
        expectContains(r.k.firmware.status, "failed: the image is 5000 bytes, more than this device's 4096-byte flash budget")
    })
    test("a commit the updater refuses (digest mismatch): failed, a Warning, the old firmware goes on", async () => {
        const r = firmwareRig()
        r.k.renewals = 1
        r.updater.commitError = "sha256 mismatch: the image hashes to sha256:00"
        r.k.desiredFirmware = r.registry.reference()
        await r.fw.cycle()
        expectEqual(r.k.firmware.status, "failed: sha256 mismatch: the image hashes to sha256:00")
        expectEqual(events(r), ["FirmwareInstalling", "FirmwareUpdateFailed"])
        await r.fw.cycle()
        expectEqual(r.registry.requests.length, 4)
    })
    test("a reference the updater rolled back before this boot is not pulled again", async () => {
        const r = firmwareRig()
        r.k.renewals = 1
        r.updater.st = 4
        r.updater.rejected = digest("sha256", r.registry.manifest)
        r.updater.err = "sha256:9806be9df50f panicked 3 times"
        r.k.desiredFirmware = r.registry.reference()
        await r.fw.cycle()
        expectEqual([r.registry.requests, r.k.firmware.status], [[], "rolled back: sha256:9806be9df50f panicked 3 times"])
    })
    test("booted after a rollback: a Warning event and the reason in the status", async () => {
        const r = firmwareRig()
        r.updater.st = 4
        r.updater.err = "sha256:9806be9df50f did not confirm within 100 s"
        await r.fw.cycle()
        expectEqual(events(r), ["FirmwareRolledBack"])
        expectEqual(r.k.firmware.status, "running")
    })
    test("the running digest is the desired one: nothing to do", async () => {
        const r = firmwareRig()
        r.updater.running = digest("sha256", r.registry.manifest)
        r.k.desiredFirmware = r.registry.reference()
        await r.fw.cycle()
        expectEqual([r.registry.requests, r.k.firmware.status, r.k.firmware.digest.slice(0, 7)], [[], "running", "sha256:"])
    })
    test("no updater service: said once the node renews (the role binds late), pulled once it binds", async () => {
        const r = firmwareRig()
        r.updater.isBound = false
        r.k.desiredFirmware = r.registry.reference()
        await r.fw.cycle()
        expectEqual(r.k.firmware.status, "")
        r.k.renewals = 1
        await r.fw.cycle()
        await r.fw.cycle()
        expectEqual([r.k.firmware.status, events(r)], ["failed: this device has no updater service", ["FirmwareUpdateFailed"]])
        r.updater.isBound = true
        await r.fw.cycle()
        expectEqual(r.registry.requests.length, 4)
    })
    test("a program on trial reports installing until its first renewal confirms it, then running", async () => {
        const r = firmwareRig()
        r.updater.st = 2
        r.updater.running = digest("sha256", r.registry.manifest)
        r.k.desiredFirmware = r.registry.reference()
        await r.fw.cycle()
        expectEqual([r.k.firmware.status, r.updater.log], ["installing", []])
        r.k.renewals = 1
        await r.fw.cycle()
        expectEqual([r.k.firmware.status, r.updater.log, r.registry.requests], ["running", ["confirm"], []])
        expectEqual(events(r), ["FirmwareStarted", "FirmwareUpdated"])
    })
    test("a refused reference is tried again once the annotation named something else in between", async () => {
        const r = firmwareRig(new FakeRegistry({ runtime: "v2.15.0" }))
        r.k.renewals = 1
        r.k.desiredFirmware = r.registry.reference()
        await r.fw.cycle()
        r.k.desiredFirmware = ""
        await r.fw.cycle()
        r.k.desiredFirmware = r.registry.reference()
        await r.fw.cycle()
        expectEqual(r.registry.requests, [MANIFEST, MANIFEST])
    })
    test("a reference whose commit failed (a corrupted transfer) is pulled again when it is asked for again", async () => {
        const r = firmwareRig()
        r.k.renewals = 1
        r.updater.commitError = "sha256 mismatch"
        r.k.desiredFirmware = r.registry.reference()
        await r.fw.cycle()
        r.updater.rejected = digest("sha256", r.registry.manifest)
        r.updater.commitError = ""
        r.k.desiredFirmware = ""
        await r.fw.cycle()
        r.k.desiredFirmware = r.registry.reference()
        await r.fw.cycle()
        expectEqual(r.updater.log.slice(-1), ["commit 5000"])
    })
    test("a registry that wants a token: a 401's realm gives one anonymously, the pull goes on with it", async () => {
        const r = firmwareRig()
        r.k.renewals = 1
        r.registry.token = "t0k.en"
        r.k.desiredFirmware = r.registry.reference()
        await r.fw.cycle()
        expectEqual(r.registry.requests.slice(0, 4), [MANIFEST, "/token?service=registry&scope=repository%3Apicokubelet%2Ffirmware%3Apull", MANIFEST, `${BLOB} bytes=0-2047`])
        expectEqual(r.registry.authorizations, ["", "Bearer t0k.en", "Bearer t0k.en", "Bearer t0k.en", "Bearer t0k.en"])
        expectEqual(r.updater.log.slice(-1), ["commit 5000"])
    })
    test("a token that expires during the pull is fetched again, once", async () => {
        const r = firmwareRig()
        r.k.renewals = 1
        r.registry.token = "t"
        r.registry.rotateAt = 4
        r.k.desiredFirmware = r.registry.reference()
        await r.fw.cycle()
        expectEqual(r.registry.authorizations.slice(2, 6), ["Bearer t", "Bearer t", "Bearer t2", "Bearer t2"])
        expectEqual(r.updater.log.slice(-1), ["commit 5000"])
    })
    test("the state read right after begin is the cached one: read again until it changes", async () => {
        const r = firmwareRig()
        r.k.renewals = 1
        r.updater.stale = 2
        r.k.desiredFirmware = r.registry.reference()
        await r.fw.cycle()
        expectEqual(r.updater.log.slice(-1), ["commit 5000"])
    })
})
