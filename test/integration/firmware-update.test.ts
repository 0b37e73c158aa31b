import assert from "node:assert/strict"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { after, before, describe, test } from "node:test"
import { ApiServer, startApiServer } from "../../tools/apiserver"
import { Firmware } from "../../tools/registry/firmware"
import { Registry, RegistrySkipped, startRegistry } from "../../tools/registry"
import { firmwareManifest, pushFirmware } from "../../tools/registry/push"
import { Simulator } from "../../tools/simulator"
import { adminRequest, eventually } from "../harness/admin"
import { nodeCondition, readyAndRenewing } from "../harness/node-state"
import { buildFirmwareVariant } from "./lib/firmware-variant"
import { RegistryProxy, startRegistryProxy } from "./lib/registry-proxy"

// Firmware updates in the simulator against the emulator and a real OCI
// registry (CNCF distribution), through a proxy that can fail or corrupt
// what the registry sends. One board; each test starts from the firmware
// the one before left running. The node controller's grace period is the
// real default (40 s), so "stays Ready" means what it means on a cluster.

const NODE = "esp-ota-01"
const RENEW_S = 2
const LEASE_S = 10
const GRACE_S = 40
/** The updater's trial: a minute plus a lease (src/reconcilers/firmware.ts). */
const TRIAL_S = 60 + LEASE_S
const WINDOW_BYTES = 2048
const LOG_FILE = join(tmpdir(), "picokubelet-firmware-update.log")

const annotations = (api: ApiServer) => api.store.getNode(NODE)?.metadata?.annotations ?? {}
const firmwareStatus = (api: ApiServer): string => annotations(api)["picokubelet.dev/firmware-status"] ?? ""
const runningDigest = (api: ApiServer): string => annotations(api)["picokubelet.dev/firmware-digest"] ?? ""
const nodeInfo = (api: ApiServer) => api.store.getNode(NODE)?.status?.nodeInfo ?? {}
const warnings = (api: ApiServer, reason: string) =>
    api.store.listEvents("default").filter(e => e.involvedObject?.name === NODE && e.reason === reason)

describe("firmware updates from an OCI registry", { skip: process.env.PICOKUBELET_SKIP_OTA ? "PICOKUBELET_SKIP_OTA" : false }, () => {
    let api: ApiServer
    let sim: Simulator
    let registry: Registry
    let proxy: RegistryProxy
    const toolLog: string[] = []
    /** Every Ready status seen by the watcher, in order (changes only). */
    const readySeen: string[] = []
    let watcher: NodeJS.Timeout
    let v2: Firmware

    const annotate = async (ref: string | null) => {
        const r = await adminRequest(api, "PATCH", `/api/v1/nodes/${NODE}`, { metadata: { annotations: { "picokubelet.dev/firmware": ref } } }, "application/merge-patch+json")
        assert.equal(r.status, 200, JSON.stringify(r.json))
    }
    const push = async (fw: Firmware, tag: string) => (await pushFirmware(`${registry.host}/picokubelet/firmware:${tag}`, fw)).digest
    /** A reference through the proxy: the node pulls what the test lets through. */
    const viaProxy = (digest: string) => `${proxy.host}/picokubelet/firmware@${digest}`
    const blobRequests = (digest: string) => proxy.requests.filter(r => r.path.includes("/blobs/") && r.path.includes(digest.slice(7)))

    before(async () => {
        try {
            registry = await startRegistry({ log: () => {} })
        } catch (e) {
            if (e instanceof RegistrySkipped && !process.env.CI) return
            throw e
        }
        proxy = await startRegistryProxy(registry.port)
        api = await startApiServer({ port: 0, quiet: true, gracePeriodSeconds: GRACE_S, dataDir: mkdtempSync(join(tmpdir(), "pk-apiserver-")) })
        sim = await Simulator.start({
            settings: {
                K3S_HOST: "localhost",
                K3S_PORT: api.port,
                K3S_TOKEN: api.tokens.bootstrap,
                NODE_NAME: NODE,
                RENEW_SECS: RENEW_S,
                LEASE_SECS: LEASE_S,
                // the desired firmware is read from the status post's reply
                STATUS_SECS: 3,
            },
            vmEnv: { NODE_EXTRA_CA_CERTS: api.caFile! },
            platform: { ip: "192.168.0.131" },
            onToolLog: line => toolLog.push(line),
        })
        await readyAndRenewing(api, sim, NODE)
        watcher = setInterval(() => {
            const s = nodeCondition(api, NODE, "Ready")?.status ?? "absent"
            if (readySeen[readySeen.length - 1] !== s) readySeen.push(s)
        }, 250)
        v2 = await buildFirmwareVariant("0.2.0")
    })
    after(async () => {
        clearInterval(watcher)
        // the board's and the updater's own words, for a failure's post-mortem
        if (sim) writeFileSync(LOG_FILE, [...sim.logs, "--- simulator tools", ...toolLog, "--- registry requests", ...(proxy?.requests ?? []).map(r => JSON.stringify(r))].join("\n"))
        await sim?.stop()
        await api?.stop()
        await proxy?.stop()
        await registry?.stop()
    })

    test("v2 by digest: pulled in Range windows, verified, installed; the node reports its digest and version and never goes Unknown", async t => {
        if (!registry) return t.skip("no registry binary and no Go to build one")
        const digest = await push(v2, "v2")
        const bootBefore = nodeInfo(api).bootID
        const start = Date.now()
        await annotate(viaProxy(digest))
        await eventually("the new digest, a new boot and Ready", 180_000, () =>
            runningDigest(api) === digest && nodeInfo(api).bootID !== bootBefore && nodeCondition(api, NODE, "Ready")?.status === "True" ? true : undefined
        )
        const seconds = (Date.now() - start) / 1000
        t.diagnostic(`annotation to Ready on v0.2.0: ${seconds.toFixed(1)} s`)
        // the lease renewals the API server saw while the node pulled, and across the restart
        const windowsAt = blobRequests("sha256:" + v2.sha256).map(w => w.at)
        const renewals = api.log.entries.filter(e => e.method === "PATCH" && e.path.startsWith(`/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${NODE}`) && e.status === 200).map(e => e.time)
        const maxGap = (from: number, to: number) => {
            const ts = [from, ...renewals.filter(x => x > from && x < to), to]
            return Math.max(...ts.slice(1).map((x, i) => x - ts[i])) / 1000
        }
        t.diagnostic(`longest time without a renewal: ${maxGap(windowsAt[0], windowsAt[windowsAt.length - 1]).toFixed(1)} s during the pull (${windowsAt.length} windows in ${((windowsAt[windowsAt.length - 1] - windowsAt[0]) / 1000).toFixed(1)} s, RENEW_SECS=${RENEW_S}), ${maxGap(start, Date.now()).toFixed(1)} s from annotation to Ready (the restart included)`)
        assert.match(nodeInfo(api).osImage, /^picokubelet v0\.2\.0 on DeviceScript$/)
        await eventually("status running", 30_000, () => (firmwareStatus(api) === "running" ? true : undefined))
        // every window a Range request of at most WINDOW_BYTES, the whole layer once
        const windows = blobRequests("sha256:" + v2.sha256)
        assert.ok(windows.length >= Math.ceil(v2.bytecode.length / WINDOW_BYTES), `${windows.length} windows`)
        assert.ok(windows.every(w => w.status === 206 && w.bytes <= WINDOW_BYTES && w.range), JSON.stringify(windows.slice(0, 3)))
        assert.equal(windows.reduce((n, w) => n + w.bytes, 0), v2.bytecode.length)
        assert.deepEqual(readySeen.filter(s => s !== "True"), [], `Ready went ${readySeen.join(" -> ")}`)
        assert.ok(warnings(api, "FirmwareInstalling").length === 1)
        assert.ok(sim.logs.some(l => l.startsWith("firmware: confirmed")))
    })

    /** Annotates `ref` and waits for a new firmware-status that passes `test`. */
    const expectStatus = async (ref: string, test: (s: string) => boolean, timeoutMs: number) => {
        const before = firmwareStatus(api)
        await annotate(ref)
        return eventually(`firmware-status for ${ref}`, timeoutMs, () => {
            const s = firmwareStatus(api)
            return s !== before && test(s) ? s : undefined
        })
    }
    const stillOnV2 = async (v2digest: string) => {
        await eventually("v2 running and Ready", 120_000, () =>
            runningDigest(api) === v2digest && nodeInfo(api).osImage === "picokubelet v0.2.0 on DeviceScript" && nodeCondition(api, NODE, "Ready")?.status === "True" ? true : undefined
        )
    }
    let v2digest = ""
    let v3: Firmware

    test("a window corrupted on the way: the updater's SHA-256 refuses it, a Warning, v2 keeps running", async t => {
        if (!registry) return t.skip("no registry")
        v2digest = runningDigest(api)
        v3 = await buildFirmwareVariant("0.3.0")
        const digest = await push(v3, "v3")
        let blobs = 0
        proxy.fault = req => (req.url!.includes("/blobs/") && ++blobs === 3 ? "corrupt" : undefined)
        const status = await expectStatus(viaProxy(digest), s => s.startsWith("failed:"), 120_000)
        proxy.fault = () => undefined
        assert.match(status, /^failed: sha256 mismatch: the image hashes to sha256:[0-9a-f]{64}, the manifest says sha256:/)
        assert.equal(warnings(api, "FirmwareUpdateFailed").length, 1)
        await stillOnV2(v2digest)
    })

    test("another runtime or another artifact type: refused before a byte of the layer is pulled", async t => {
        if (!registry) return t.skip("no registry")
        const otherRuntime = (await pushFirmware(`${registry.host}/picokubelet/firmware:v3-old-runtime`, { ...v3, runtimeVersion: "v2.15.0" })).digest
        const status = await expectStatus(viaProxy(otherRuntime), s => s.startsWith("failed:"), 60_000)
        assert.equal(status, "failed: built for runtime v2.15.0, this device runs v2.16.4")
        const wrongType = JSON.parse(firmwareManifest(v3).toString())
        wrongType.artifactType = "application/vnd.example.not-firmware"
        const body = Buffer.from(JSON.stringify(wrongType))
        const put = await fetch(`${registry.url}/v2/picokubelet/firmware/manifests/not-firmware`, {
            method: "PUT",
            headers: { "Content-Type": "application/vnd.oci.image.manifest.v1+json" },
            body,
        })
        assert.equal(put.status, 201)
        const typeDigest = put.headers.get("docker-content-digest")!
        const typeStatus = await expectStatus(viaProxy(typeDigest), s => s.startsWith("failed:"), 60_000)
        assert.equal(typeStatus, "failed: artifact type application/vnd.example.not-firmware is not application/vnd.picokubelet.firmware.v1")
        assert.deepEqual([blobRequests(otherRuntime).length, blobRequests(typeDigest).length], [0, 0])
        assert.equal(proxy.requests.filter(r => r.path.includes("/blobs/") && r.path.includes(v3.sha256)).length, Math.ceil(v3.bytecode.length / WINDOW_BYTES), "only the corrupted pull's windows")
        await stillOnV2(v2digest)
    })

    test("an image larger than the device's budget: refused before the download", async t => {
        if (!registry) return t.skip("no registry")
        sim.updater!.setCapacity(64 * 1024)
        const digest = (await pushFirmware(`${registry.host}/picokubelet/firmware:v3-big`, { ...v3, builtAt: "2026-11-29T00:00:00Z" })).digest
        const before = proxy.requests.filter(r => r.path.includes("/blobs/")).length
        const status = await expectStatus(viaProxy(digest), s => s.startsWith("failed:"), 60_000)
        sim.updater!.setCapacity(128 * 1024)
        assert.equal(status, `failed: the image is ${v3.bytecode.length} bytes, more than this device's 65536-byte flash budget`)
        assert.equal(proxy.requests.filter(r => r.path.includes("/blobs/")).length, before)
    })

    test("the registry answers 503 mid-pull: retried with back-off, the node stays Ready, v3 installs", async t => {
        if (!registry) return t.skip("no registry")
        const digest = await push(v3, "v3")
        let blobs = 0
        proxy.fault = req => (req.url!.includes("/blobs/") && ++blobs >= 5 && blobs <= 6 ? { status: 503 } : undefined)
        await annotate(viaProxy(digest))
        await eventually("a retry", 60_000, () => (firmwareStatus(api).startsWith("retrying: blob: the registry answered 503") ? true : undefined))
        await eventually("v3 running", 180_000, () => (runningDigest(api) === digest && firmwareStatus(api) === "running" ? true : undefined))
        proxy.fault = () => undefined
        assert.equal(nodeInfo(api).osImage, "picokubelet v0.3.0 on DeviceScript")
        assert.deepEqual(readySeen.filter(s => s !== "True"), [], `Ready went ${readySeen.join(" -> ")}`)
        v2digest = digest
    })

    test("the power goes while the updater deploys: the board comes back on the previous image, rolled back", async t => {
        if (!registry) return t.skip("no registry")
        const v4 = await buildFirmwareVariant("0.4.0")
        const digest = await push(v4, "v4")
        const seen = toolLog.length
        await annotate(viaProxy(digest))
        await eventually("the deploy starting", 180_000, () => (toolLog.slice(seen).some(l => l.startsWith("updater: deploying")) ? true : undefined), 20)
        await sim.powerOff()
        await sim.powerOn()
        const status = await eventually("rolled back", 120_000, () => (firmwareStatus(api).startsWith("rolled back:") ? firmwareStatus(api) : undefined))
        assert.match(status, /the deploy was interrupted by a reset$/)
        await eventually("v3 running and Ready", 120_000, () =>
            runningDigest(api) === v2digest && nodeInfo(api).osImage === "picokubelet v0.3.0 on DeviceScript" && nodeCondition(api, NODE, "Ready")?.status === "True" ? true : undefined
        )
        assert.equal(warnings(api, "FirmwareRolledBack").length, 1)
    })

    test("a release that panics at boot: rolled back after 3 panics, a Warning, the previous firmware Ready again", async t => {
        if (!registry) return t.skip("no registry")
        const broken = await buildFirmwareVariant("0.5.0", "test/integration/firmware/panics-at-boot.ts")
        const digest = await push(broken, "broken")
        const [osImage, rolledBack] = [nodeInfo(api).osImage, warnings(api, "FirmwareRolledBack").length]
        const status = await expectStatus(viaProxy(digest), s => s.startsWith("rolled back:") && s.includes("panicked"), 240_000)
        assert.match(status, /^rolled back: sha256:[0-9a-f]{12} panicked 3 times$/)
        assert.equal(warnings(api, "FirmwareRolledBack").length, rolledBack + 1)
        assert.equal(nodeInfo(api).osImage, osImage)
    })

    test("a release that never renews: rolled back when its trial ends", async t => {
        if (!registry) return t.skip("no registry")
        const silent = await buildFirmwareVariant("0.6.0", "test/integration/firmware/never-renews.ts")
        const digest = await push(silent, "silent")
        const osImage = nodeInfo(api).osImage
        const status = await expectStatus(viaProxy(digest), s => s.startsWith("rolled back:") && s.includes("confirm"), 120_000 + TRIAL_S * 1000)
        assert.equal(status.replace(/sha256:[0-9a-f]{12}/, "sha256:…"), `rolled back: sha256:… did not confirm within ${TRIAL_S} s`)
        assert.equal(nodeInfo(api).osImage, osImage)
        await eventually("Ready", 60_000, () => (nodeCondition(api, NODE, "Ready")?.status === "True" ? true : undefined))
    })
}
)
