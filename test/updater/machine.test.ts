import assert from "node:assert/strict"
import { createHash } from "node:crypto"
import { describe, test } from "node:test"
import { Image, UpdaterMachine, UpdaterState } from "../../sim/updater/machine"

// The simulator's updater without the bus: a fake clock and a deploy that
// records what it was given and can be held open or made to fail (the power
// going mid-deploy).

const sha = (b: Buffer) => createHash("sha256").update(b).digest()
const image = (n: number, fill: number) => Buffer.alloc(n, fill)
const MANIFEST_A = Buffer.alloc(32, 0xa1)
const MANIFEST_B = Buffer.alloc(32, 0xb2)

function rig(capacity = 4096) {
    const clock = { ms: 0 }
    const deployed: (string | null)[] = []
    let hold: Promise<void> | undefined
    let failNext = false
    const m = new UpdaterMachine(capacity, {
        now: () => clock.ms,
        deploy: async (img: Image | null) => {
            deployed.push(img ? img.manifestDigest.toString("hex").slice(0, 2) : null)
            if (hold) await hold
            if (failNext) {
                failNext = false
                throw new Error("the VM went away")
            }
        },
    })
    return {
        m,
        clock,
        deployed,
        holdDeploys: (p: Promise<void>) => (hold = p),
        failNextDeploy: () => (failNext = true),
    }
}

/** begin, every byte in 224-byte writes, commit. */
function install(m: UpdaterMachine, bytes: Buffer, manifest: Buffer, trialSeconds = 70, digest = sha(bytes)) {
    m.begin(bytes.length, trialSeconds, Buffer.concat([digest, manifest]))
    for (let off = 0; off < bytes.length; off += 224) m.write(off, bytes.subarray(off, off + 224))
    m.commit()
}

const settle = () => new Promise(r => setImmediate(r))

describe("sim updater machine", () => {
    test("begin refuses a size of 0, not whole 32-byte words, over capacity, and digests that are not 64 bytes", () => {
        const { m } = rig()
        for (const [size, digests] of [
            [0, 64],
            [100, 64],
            [8192, 64],
            [1024, 63],
        ]) {
            m.begin(size, 70, Buffer.alloc(digests))
            assert.equal(m.state, UpdaterState.Failed, `size ${size}, ${digests} bytes of digests`)
            assert.ok(m.error)
        }
    })

    test("writes at the wrong offset or past the size are ignored", () => {
        const { m } = rig()
        m.begin(64, 70, Buffer.concat([Buffer.alloc(32), MANIFEST_A]))
        m.write(32, Buffer.alloc(32))
        m.write(0, Buffer.alloc(32))
        m.write(0, Buffer.alloc(32))
        m.write(32, Buffer.alloc(64))
        assert.equal(m.staged, 32)
    })

    test("a digest mismatch: Failed, rejected digest and why, nothing deployed", async () => {
        const { m, deployed } = rig()
        install(m, image(1024, 1), MANIFEST_A, 70, Buffer.alloc(32))
        await settle()
        assert.equal(m.state, UpdaterState.Failed)
        assert.match(m.error, /^sha256 mismatch: the image hashes to sha256:[0-9a-f]{64}, the manifest says sha256:0{64}$/)
        assert.deepEqual([m.rejectedDigest, deployed], [MANIFEST_A, []])
    })

    test("a good image: Trial, deployed, confirmed; the next one keeps it as the previous", async () => {
        const { m, deployed } = rig()
        install(m, image(1024, 1), MANIFEST_A)
        await settle()
        assert.deepEqual([m.state, deployed, m.runningDigest], [UpdaterState.Trial, ["a1"], MANIFEST_A])
        m.confirm()
        assert.equal(m.state, UpdaterState.Idle)
        install(m, image(2048, 2), MANIFEST_B)
        await settle()
        assert.deepEqual([m.previous?.manifestDigest, m.runningDigest], [MANIFEST_A, MANIFEST_B])
    })

    test("begin is ignored on trial", async () => {
        const { m } = rig()
        install(m, image(1024, 1), MANIFEST_A)
        await settle()
        m.begin(1024, 70, Buffer.concat([Buffer.alloc(32), MANIFEST_B]))
        assert.equal(m.state, UpdaterState.Trial)
    })

    test("no confirm within the trial, counted from the end of the deploy: the previous image again", async () => {
        const { m, deployed, clock, holdDeploys } = rig()
        install(m, image(1024, 1), MANIFEST_A)
        await settle()
        m.confirm()
        let release!: () => void
        holdDeploys(new Promise<void>(r => (release = r)))
        install(m, image(1024, 2), MANIFEST_B, 70)
        // a slow deploy does not eat the new program's trial
        clock.ms += 100_000
        m.tick()
        assert.equal(m.state, UpdaterState.Trial)
        release()
        await settle()
        clock.ms += 69_000
        m.tick()
        assert.equal(m.state, UpdaterState.Trial)
        clock.ms += 2_000
        m.tick()
        await settle()
        assert.equal(m.state, UpdaterState.RolledBack)
        assert.equal(m.error, "sha256:b2b2b2b2b2b2 did not confirm within 70 s")
        assert.deepEqual([deployed, m.rejectedDigest, m.runningDigest], [["a1", "b2", "a1"], MANIFEST_B, MANIFEST_A])
        m.confirm()
        assert.deepEqual([m.state, m.rejectedDigest], [UpdaterState.Idle, MANIFEST_B])
    })

    test("three panics on trial roll back to the board's own program when nothing was installed before", async () => {
        const { m, deployed } = rig()
        install(m, image(1024, 1), MANIFEST_A)
        await settle()
        m.panicked()
        m.panicked()
        assert.equal(m.state, UpdaterState.Trial)
        m.panicked()
        await settle()
        assert.equal(m.state, UpdaterState.RolledBack)
        assert.match(m.error, /panicked 3 times$/)
        assert.deepEqual([deployed, m.running], [["a1", null], null])
    })

    test("the power goes mid-deploy: the next boot puts the previous image back, rolled back", async () => {
        const { m, failNextDeploy } = rig()
        install(m, image(1024, 1), MANIFEST_A)
        await settle()
        m.confirm()
        failNextDeploy()
        install(m, image(1024, 2), MANIFEST_B)
        await settle()
        const back = m.afterBoot()
        assert.deepEqual([back?.manifestDigest, m.state], [MANIFEST_A, UpdaterState.RolledBack])
        assert.match(m.error, /the deploy was interrupted by a reset$/)
    })

    test("a power cycle during a trial keeps the trial and the image", async () => {
        const { m } = rig()
        install(m, image(1024, 1), MANIFEST_A)
        await settle()
        const back = m.afterBoot()
        assert.deepEqual([back?.manifestDigest, m.state, m.runningDigest], [MANIFEST_A, UpdaterState.Trial, Buffer.alloc(0)])
        m.deployed()
        assert.deepEqual(m.runningDigest, MANIFEST_A)
    })

    test("abort drops what was staged", () => {
        const { m } = rig()
        m.begin(64, 70, Buffer.concat([Buffer.alloc(32), MANIFEST_A]))
        m.write(0, Buffer.alloc(32))
        m.abort()
        assert.deepEqual([m.state, m.staged], [UpdaterState.Idle, 0])
    })
})
