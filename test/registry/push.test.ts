// The firmware pushed as an OCI artifact to a real registry (distribution, on
// loopback), read back as the board will read it: the manifest by tag and by
// digest, the layer whole and in Range windows. Without a registry command and
// without Go the registry tests are skipped (and fail under CI=true).
import assert from "node:assert/strict"
import { spawn } from "node:child_process"
import { createHash } from "node:crypto"
import { readFileSync } from "node:fs"
import { createServer, Server } from "node:http"
import { AddressInfo } from "node:net"
import { join } from "node:path"
import { after, before, describe, test } from "node:test"
import { REPO } from "../../tools/simulator/project"
import { Registry, RegistrySkipped, startRegistry } from "../../tools/registry"
import { buildFirmware, Firmware, runtimeVersionOf } from "../../tools/registry/firmware"
import {
    ANNOTATIONS,
    ARTIFACT_TYPE,
    EMPTY_DESCRIPTOR,
    firmwareManifest,
    isLoopback,
    LAYER_MEDIA_TYPE,
    MANIFEST_MEDIA_TYPE,
    parseReference,
    pushFirmware,
    PushResult,
} from "../../tools/registry/push"
import { firmwarePush } from "../../tools/firmware-push"

const sha256 = (b: Buffer | string) => "sha256:" + createHash("sha256").update(b).digest("hex")
const pkg = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8"))
const cliVersion = JSON.parse(readFileSync(join(REPO, "node_modules/@devicescript/cli/package.json"), "utf8")).version

/** A port nothing listens on (taken, then closed). */
function closedPort(): Promise<number> {
    return new Promise(resolve => {
        const srv = createServer()
        srv.listen(0, "127.0.0.1", () => {
            const port = (srv.address() as AddressInfo).port
            srv.close(() => resolve(port))
        })
    })
}

describe("references", () => {
    test("registry, repository and tag are read; loopback means plain HTTP", () => {
        assert.deepEqual(parseReference("127.0.0.1:5000/picokubelet/firmware:v0.1.0"), { registry: "127.0.0.1:5000", repository: "picokubelet/firmware", tag: "v0.1.0" })
        assert.deepEqual(parseReference("registry.example.com/a/b/c:latest"), { registry: "registry.example.com", repository: "a/b/c", tag: "latest" })
        assert.deepEqual(parseReference("localhost/fw:1"), { registry: "localhost", repository: "fw", tag: "1" })
        assert.ok(isLoopback("127.0.0.1:5000") && isLoopback("localhost") && isLoopback("[::1]:5000"))
        assert.ok(!isLoopback("registry.example.com") && !isLoopback("192.168.0.10:5000"))
    })
    for (const [ref, why] of [
        ["127.0.0.1:5000/picokubelet/firmware", /no tag/],
        ["picokubelet/firmware:v1", /no registry given/],
        ["firmware:v1", /no registry and no repository/],
        ["127.0.0.1:5000/Picokubelet/firmware:v1", /repository "Picokubelet\/firmware"/],
        ["127.0.0.1:5000/picokubelet/firmware:", /tag ""/],
        ["127.0.0.1:5000/picokubelet/firmware@sha256:00", /digest cannot be pushed to/],
        ["http://127.0.0.1:5000/fw:v1", /no scheme/],
        ["", /empty/],
    ] as const)
        test(`${JSON.stringify(ref)} is refused: ${why.source}`, () => {
            assert.throws(() => parseReference(ref), (e: Error) => why.test(e.message) && e.message.includes("expected <registry>/<repository>:<tag>"))
        })
    const command = (...args: string[]) =>
        new Promise<{ code: number; out: string; err: string }>(resolve => {
            const child = spawn(process.execPath, ["--import", "tsx", "tools/firmware-push.ts", ...args], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] })
            let out = ""
            let err = ""
            child.stdout.on("data", d => (out += d))
            child.stderr.on("data", d => (err += d))
            child.on("close", code => resolve({ code: code ?? -1, out, err }))
        })
    test("the firmware-push command exits 1 on a bad reference, naming it, before building", async () => {
        const r = await command("127.0.0.1:5000/picokubelet/firmware")
        assert.equal(r.code, 1)
        assert.match(r.err, /^firmware:push: bad reference "127\.0\.0\.1:5000\/picokubelet\/firmware": no tag/m)
        assert.doesNotMatch(r.err, /devs build/)
        assert.equal(r.out, "")
    })
    test("the firmware-push command exits 1 when the registry is down, naming it", async () => {
        const port = await closedPort()
        const r = await command(`127.0.0.1:${port}/picokubelet/firmware:v1`)
        assert.equal(r.code, 1)
        assert.match(r.err, new RegExp(`^firmware:push: registry 127\\.0\\.0\\.1:${port} not reachable \\(ECONNREFUSED\\)`, "m"))
        assert.equal(r.out, "")
    })
})

describe("the firmware build", () => {
    test("the runtime version is read from the bytecode's header", () => {
        const header = Buffer.alloc(16)
        Buffer.from("446576530a6e29f1", "hex").copy(header)
        header.writeUInt32LE((2 << 24) | (16 << 16) | 4, 8)
        assert.equal(runtimeVersionOf(header), "v2.16.4")
        assert.throws(() => runtimeVersionOf(Buffer.from("not bytecode at all")), /bad magic/)
    })
})

describe("pushing to a real registry", () => {
    let registry: Registry | undefined
    let skipped: string | undefined
    let fw: Firmware
    let pushed: PushResult
    const REPOSITORY = "picokubelet/firmware"

    before(async () => {
        try {
            registry = await startRegistry({ log: line => console.log(`# ${line}`) })
        } catch (e) {
            if (!(e instanceof RegistrySkipped)) throw e
            if (process.env.CI === "true") throw new Error(`registry: SKIPPED under CI=true: ${e.message}`)
            skipped = e.message
            return
        }
        fw = await buildFirmware()
        pushed = await pushFirmware(`${registry.host}/${REPOSITORY}:dev`, fw)
    })
    after(async () => {
        await registry?.stop()
    })

    const getManifest = (ref: string) => fetch(`${registry!.url}/v2/${REPOSITORY}/manifests/${ref}`, { headers: { Accept: MANIFEST_MEDIA_TYPE } })
    const blobUrl = () => `${registry!.url}/v2/${REPOSITORY}/blobs/sha256:${fw.sha256}`

    test("the push names the manifest by digest", t => {
        if (skipped) return t.skip(skipped)
        assert.equal(pushed.digest, sha256(pushed.manifest))
        assert.equal(pushed.pinned, `${registry!.host}/${REPOSITORY}@${pushed.digest}`)
        assert.equal(pushed.uploaded + pushed.skipped, 2)
    })

    for (const by of ["tag", "digest"])
        test(`the manifest by ${by}: an image-spec 1.1 artifact with the empty config and the bytecode as its one layer`, async t => {
            if (skipped) return t.skip(skipped)
            const res = await getManifest(by === "tag" ? "dev" : pushed.digest)
            assert.equal(res.status, 200)
            assert.equal(res.headers.get("content-type"), MANIFEST_MEDIA_TYPE)
            assert.equal(res.headers.get("docker-content-digest"), pushed.digest)
            const body = Buffer.from(await res.arrayBuffer())
            assert.equal(sha256(body), pushed.digest, "the stored bytes are the pushed bytes")
            const m = JSON.parse(body.toString("utf8"))
            assert.equal(m.schemaVersion, 2)
            assert.equal(m.mediaType, MANIFEST_MEDIA_TYPE)
            assert.equal(m.artifactType, ARTIFACT_TYPE)
            assert.deepEqual(m.config, EMPTY_DESCRIPTOR)
            assert.equal(m.config.digest, sha256("{}"))
            assert.equal(m.layers.length, 1)
            const [layer] = m.layers
            assert.equal(layer.mediaType, LAYER_MEDIA_TYPE)
            assert.equal(layer.size, fw.bytecode.length)
            assert.equal(layer.digest, sha256(fw.bytecode))
            assert.equal(m.annotations[ANNOTATIONS.version], pkg.version)
            assert.equal(m.annotations[ANNOTATIONS.runtimeVersion], `v${cliVersion}`)
            assert.equal(m.annotations[ANNOTATIONS.firmwareVersion], fw.firmwareVersion)
            assert.match(fw.firmwareVersion, /^v\d+\.\d+\.\d+/)
            const created = Date.parse(m.annotations[ANNOTATIONS.created])
            assert.ok(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(m.annotations[ANNOTATIONS.created]) && created > Date.parse("2026-01-01T00:00:00Z") && created <= Date.now() + 60_000)
        })

    test("the config blob is {} and the layer blob is the bytecode", async t => {
        if (skipped) return t.skip(skipped)
        const config = await fetch(`${registry!.url}/v2/${REPOSITORY}/blobs/${EMPTY_DESCRIPTOR.digest}`)
        assert.equal(config.status, 200)
        assert.equal(await config.text(), "{}")
        const res = await fetch(blobUrl())
        assert.equal(res.status, 200)
        assert.ok(Buffer.from(await res.arrayBuffer()).equals(fw.bytecode))
    })

    // the board pulls the layer a few KB at a time
    for (const [name, start, end] of [
        ["the first KB", 0, 1023],
        ["a middle 4 KB window", 16384, 20479],
        ["the last window, asked past the end", 0, 0], // filled in below: the last 4 KB boundary to size+4095
    ] as const)
        test(`Range GET of ${name}: 206 with exactly those bytes`, async t => {
            if (skipped) return t.skip(skipped)
            const size = fw.bytecode.length
            let [a, b]: number[] = [start, end]
            if (name.startsWith("the last")) [a, b] = [Math.floor((size - 1) / 4096) * 4096, Math.floor((size - 1) / 4096) * 4096 + 4095]
            const res = await fetch(blobUrl(), { headers: { Range: `bytes=${a}-${b}` } })
            assert.equal(res.status, 206)
            const last = Math.min(b, size - 1)
            assert.equal(res.headers.get("content-range"), `bytes ${a}-${last}/${size}`)
            const body = Buffer.from(await res.arrayBuffer())
            assert.equal(body.length, last - a + 1)
            assert.ok(body.equals(fw.bytecode.subarray(a, last + 1)))
        })

    test("pushing the same firmware again is idempotent: the same digest, no blob sent again", async t => {
        if (skipped) return t.skip(skipped)
        assert.ok(firmwareManifest(fw).equals(pushed.manifest), "the manifest's bytes depend only on the firmware")
        const again = await pushFirmware(`${registry!.host}/${REPOSITORY}:dev`, fw)
        assert.equal(again.digest, pushed.digest)
        assert.deepEqual([again.uploaded, again.skipped], [0, 2])
        const res = await getManifest("dev")
        assert.equal(res.headers.get("docker-content-digest"), pushed.digest)
    })

    test("firmwarePush builds and pushes (the npm run firmware:push path) to another tag", async t => {
        if (skipped) return t.skip(skipped)
        const r = await firmwarePush(`${registry!.host}/${REPOSITORY}:cli`)
        assert.match(r.pinned, new RegExp(`^${registry!.host.replace(/\./g, "\\.")}/${REPOSITORY}@sha256:[0-9a-f]{64}$`))
        const m = JSON.parse((await (await getManifest("cli")).text()) as string)
        assert.equal(m.artifactType, ARTIFACT_TYPE)
        assert.equal(m.layers[0].mediaType, LAYER_MEDIA_TYPE)
        const blob = Buffer.from(await (await fetch(`${registry!.url}/v2/${REPOSITORY}/blobs/${m.layers[0].digest}`)).arrayBuffer())
        assert.equal(blob.length, m.layers[0].size)
        assert.equal(sha256(blob), m.layers[0].digest)
        assert.equal(runtimeVersionOf(blob), `v${cliVersion}`)
    })
})

describe("failures name what failed", () => {
    const fw: Firmware = {
        bytecode: Buffer.from("446576530a6e29f104001002", "hex"),
        sha256: "",
        runtimeVersion: "v2.16.4",
        firmwareVersion: "v0.0.0",
        packageVersion: "0.0.0",
        builtAt: "2026-01-01T00:00:00Z",
        buildLog: "",
    }
    fw.sha256 = sha256(fw.bytecode).slice(7)

    test("a registry that is down", async () => {
        const port = await closedPort()
        await assert.rejects(pushFirmware(`127.0.0.1:${port}/picokubelet/firmware:v1`, fw), (e: Error) => {
            assert.match(e.message, new RegExp(`registry 127\\.0\\.0\\.1:${port} not reachable \\(ECONNREFUSED\\): checking the empty config blob: HEAD http://127\\.0\\.0\\.1:${port}/v2/`))
            return true
        })
    })

    test("a non-2xx reply: the request, the status and the registry's words", async () => {
        // a registry that has no blobs and refuses uploads
        const srv: Server = createServer((req, res) => {
            if (req.method === "HEAD") return res.writeHead(404).end()
            res.writeHead(403, { "Content-Type": "application/json" }).end('{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}')
        })
        await new Promise<void>(r => srv.listen(0, "127.0.0.1", r))
        const port = (srv.address() as AddressInfo).port
        try {
            await assert.rejects(pushFirmware(`127.0.0.1:${port}/picokubelet/firmware:v1`, fw), (e: Error) => {
                assert.match(e.message, /starting the upload of the empty config blob failed: POST http:\/\/127\.0\.0\.1:\d+\/v2\/picokubelet\/firmware\/blobs\/uploads\/ answered 403 Forbidden: .*DENIED/)
                return true
            })
        } finally {
            srv.close()
        }
    })

    // token authentication is tested in token.test.ts
    test("a 401 with another challenge than Bearer says that only token authentication is supported", async () => {
        const srv: Server = createServer((_req, res) => res.writeHead(401, { "WWW-Authenticate": 'Basic realm="registry"' }).end())
        await new Promise<void>(r => srv.listen(0, "127.0.0.1", r))
        const port = (srv.address() as AddressInfo).port
        try {
            await assert.rejects(pushFirmware(`127.0.0.1:${port}/picokubelet/firmware:v1`, fw), /answered 401 Unauthorized \(only token authentication is supported; WWW-Authenticate: Basic realm="registry"\)/)
        } finally {
            srv.close()
        }
    })
})
