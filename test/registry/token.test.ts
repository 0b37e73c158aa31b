// The real registry (distribution v3) behind token authentication, as Docker
// Hub, GHCR and Harbor run for anonymous pulls: the challenge it sends, the
// anonymous token flow a board will follow, push only with credentials, and a
// token's scope holding to its one repository. Skipped like push.test.ts
// without a registry command and without Go.
import assert from "node:assert/strict"
import { createHash, createPrivateKey, generateKeyPairSync } from "node:crypto"
import { readFileSync } from "node:fs"
import { createServer } from "node:http"
import { AddressInfo } from "node:net"
import { join } from "node:path"
import { after, before, describe, test } from "node:test"
import { Registry, RegistrySkipped, RegistryOptions, startRegistry, TOKEN_ISSUER, TOKEN_SERVICE } from "../../tools/registry"
import { fetchToken, parseChallenge, TokenSession } from "../../tools/registry/auth"
import { Firmware } from "../../tools/registry/firmware"
import { MANIFEST_MEDIA_TYPE, pushFirmware } from "../../tools/registry/push"
import { jwkThumbprint, signJwt } from "../../tools/registry/token-server"

const FIRMWARE = "picokubelet/firmware"
/** A scope of FIRMWARE for pull and push: distribution writes the two actions in either order (both were seen). */
const pullAndPush = (scope: string) => /^repository:picokubelet\/firmware:(pull,push|push,pull)$/.test(scope)
const OTHER = "picokubelet/other"

// a made-up bytecode is enough: the registry neither reads nor checks layers
function firmware(n: number): Firmware {
    const bytecode = Buffer.concat([Buffer.from("446576530a6e29f104001002", "hex"), Buffer.alloc(5000 + n, n)])
    return {
        bytecode,
        sha256: createHash("sha256").update(bytecode).digest("hex"),
        runtimeVersion: "v2.16.4",
        firmwareVersion: `v0.0.${n}`,
        packageVersion: "0.0.0",
        builtAt: "2026-01-01T00:00:00Z",
        buildLog: "",
    }
}

const decode = (part: string) => JSON.parse(Buffer.from(part, "base64url").toString("utf8"))
const challengeFor = (registry: Registry, scope?: string) =>
    `Bearer realm="${registry.tokenRealm}",service="${TOKEN_SERVICE}"${scope ? `,scope="${scope}"` : ""}`

async function start(opts: RegistryOptions): Promise<Registry | string> {
    try {
        return await startRegistry({ log: line => console.log(`# ${line}`), ...opts })
    } catch (e) {
        if (!(e instanceof RegistrySkipped)) throw e
        if (process.env.CI === "true") throw new Error(`registry: SKIPPED under CI=true: ${e.message}`)
        return e.message
    }
}

/** The anonymous flow, by hand, as the firmware does it: the registry's challenge, then its realm. */
async function anonymousToken(registry: Registry, repository: string): Promise<{ token: string; body: any }> {
    const res = await fetch(`${registry.url}/v2/${repository}/manifests/dev`, { headers: { Accept: MANIFEST_MEDIA_TYPE } })
    assert.equal(res.status, 401)
    const c = parseChallenge(res.headers.get("www-authenticate"))!
    const url = `${c.params.realm}?service=${encodeURIComponent(c.params.service)}&scope=${encodeURIComponent(c.params.scope)}`
    const t = await fetch(url)
    assert.equal(t.status, 200)
    assert.equal(t.headers.get("content-type"), "application/json")
    const body = await t.json()
    return { token: body.token ?? body.access_token, body }
}

const getManifest = (registry: Registry, repository: string, token?: string) =>
    fetch(`${registry.url}/v2/${repository}/manifests/dev`, {
        headers: { Accept: MANIFEST_MEDIA_TYPE, ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    })

describe("WWW-Authenticate challenges are read as distribution writes them", () => {
    test("realm, service and a scope list with commas and spaces; escapes; any case", () => {
        assert.deepEqual(parseChallenge('Bearer realm="http://127.0.0.1:1/token",service="s",scope="repository:a:pull,push repository:b:pull",error="insufficient_scope"'), {
            scheme: "bearer",
            params: { realm: "http://127.0.0.1:1/token", service: "s", scope: "repository:a:pull,push repository:b:pull", error: "insufficient_scope" },
        })
        assert.deepEqual(parseChallenge('bearer Realm="a\\"b", service=x'), { scheme: "bearer", params: { realm: 'a"b', service: "x" } })
        assert.equal(parseChallenge('Basic realm="registry"')!.scheme, "basic")
        assert.equal(parseChallenge(null), undefined)
    })
})

describe("a registry with token authentication", () => {
    let registry: Registry
    let skipped: string | undefined
    let pushed: string
    const fw = firmware(1)

    before(async () => {
        const r = await start({ tokenAuth: true })
        if (typeof r === "string") return void (skipped = r)
        registry = r
        pushed = (await pushFirmware(`${registry.host}/${FIRMWARE}:dev`, fw, { credentials: registry.credentials })).digest
        await pushFirmware(`${registry.host}/${OTHER}:dev`, firmware(2), { credentials: registry.credentials })
    })
    after(async () => {
        await registry?.stop()
    })

    test("the token server is on another port of 127.0.0.1, plain HTTP", t => {
        if (skipped) return t.skip(skipped)
        const realm = new URL(registry.tokenRealm!)
        assert.equal(realm.protocol, "http:")
        assert.equal(realm.hostname, "127.0.0.1")
        assert.notEqual(+realm.port, registry.port)
        assert.equal(realm.pathname, "/token")
    })

    test("an anonymous GET of a manifest: 401 with the Bearer challenge for pull on that repository", async t => {
        if (skipped) return t.skip(skipped)
        const res = await getManifest(registry, FIRMWARE)
        assert.equal(res.status, 401)
        assert.equal(res.headers.get("www-authenticate"), challengeFor(registry, `repository:${FIRMWARE}:pull`))
        const body = await res.json()
        assert.equal(body.errors[0].code, "UNAUTHORIZED")
        const head = await fetch(`${registry.url}/v2/${FIRMWARE}/blobs/sha256:${fw.sha256}`, { method: "HEAD" })
        assert.equal(head.status, 401, "blobs too")
        assert.equal(head.headers.get("www-authenticate"), challengeFor(registry, `repository:${FIRMWARE}:pull`))
        const base = await fetch(`${registry.url}/v2/`)
        assert.equal(base.status, 401)
        assert.equal(base.headers.get("www-authenticate"), challengeFor(registry), "/v2/ asks for no scope")
    })

    test("the anonymous token flow: a pull token, then 200 for the manifest and 206 for a layer window", async t => {
        if (skipped) return t.skip(skipped)
        registry.tokenRequests!.length = 0
        const { token, body } = await anonymousToken(registry, FIRMWARE)
        assert.deepEqual(Object.keys(body).sort(), ["expires_in", "issued_at", "token"])
        assert.equal(body.expires_in, 300)
        assert.ok(Math.abs(Date.parse(body.issued_at) - Date.now()) < 5000)
        const [header, claims] = token.split(".").slice(0, 2).map(decode)
        assert.equal(header.alg, "RS256")
        assert.equal(header.x5c.length, 1)
        assert.equal(claims.iss, TOKEN_ISSUER)
        assert.equal(claims.aud, TOKEN_SERVICE)
        assert.equal(claims.sub, "")
        assert.equal(claims.exp - claims.iat, 300)
        assert.deepEqual(claims.access, [{ type: "repository", name: FIRMWARE, actions: ["pull"] }])

        const res = await getManifest(registry, FIRMWARE, token)
        assert.equal(res.status, 200)
        assert.equal(res.headers.get("docker-content-digest"), pushed)
        const window = await fetch(`${registry.url}/v2/${FIRMWARE}/blobs/sha256:${fw.sha256}`, { headers: { Authorization: `Bearer ${token}`, Range: "bytes=0-2047" } })
        assert.equal(window.status, 206)
        assert.ok(Buffer.from(await window.arrayBuffer()).equals(fw.bytecode.subarray(0, 2048)))

        assert.deepEqual(registry.tokenRequests, [
            {
                method: "GET",
                url: `/token?service=${TOKEN_SERVICE}&scope=${encodeURIComponent(`repository:${FIRMWARE}:pull`)}`,
                service: TOKEN_SERVICE,
                scopes: [`repository:${FIRMWARE}:pull`],
                credentials: false,
                status: 200,
                granted: [`repository:${FIRMWARE}:pull`],
            },
        ])
    })

    test("a token for one repository does not pull another: 401 insufficient_scope, naming the other", async t => {
        if (skipped) return t.skip(skipped)
        const { token } = await anonymousToken(registry, FIRMWARE)
        const res = await getManifest(registry, OTHER, token)
        assert.equal(res.status, 401)
        assert.equal(res.headers.get("www-authenticate"), challengeFor(registry, `repository:${OTHER}:pull`) + ',error="insufficient_scope"')
        assert.equal((await getManifest(registry, OTHER, (await anonymousToken(registry, OTHER)).token)).status, 200)
    })

    // distribution adds error="invalid_token" only when it finds no trusted key; a bad signature
    // by a trusted key is a bare challenge, so a client must not wait for the error parameter
    test("a token whose claims were changed: 401; one signed by a key the registry does not trust: 401 invalid_token", async t => {
        if (skipped) return t.skip(skipped)
        const { token } = await anonymousToken(registry, FIRMWARE)
        const [h, c, s] = token.split(".")
        const widened = { ...decode(c), access: [{ type: "repository", name: OTHER, actions: ["pull"] }] }
        const forged = [h, Buffer.from(JSON.stringify(widened)).toString("base64url"), s].join(".")
        const stranger = generateKeyPairSync("rsa", { modulusLength: 2048 })
        const foreign = signJwt({ kid: jwkThumbprint(stranger.publicKey) }, widened, stranger.privateKey)
        for (const [bad, error] of [
            [forged, ""],
            [foreign, ',error="invalid_token"'],
        ]) {
            const res = await getManifest(registry, OTHER, bad)
            assert.equal(res.status, 401)
            assert.equal(res.headers.get("www-authenticate"), challengeFor(registry, `repository:${OTHER}:pull`) + error)
        }
    })

    test("push without credentials is refused: the anonymous token has pull only", async t => {
        if (skipped) return t.skip(skipped)
        registry.tokenRequests!.length = 0
        await assert.rejects(pushFirmware(`${registry.host}/${FIRMWARE}:anonymous`, firmware(3)), (e: Error) => {
            assert.match(e.message, /starting the upload of the firmware layer \(5015 bytes\) failed: POST .* answered 401 Unauthorized \(with a token got anonymously: no credentials given; WWW-Authenticate: Bearer .*scope="repository:picokubelet\/firmware:(pull,push|push,pull)",error="insufficient_scope"\)/)
            return true
        })
        assert.ok(registry.tokenRequests!.length >= 1)
        for (const r of registry.tokenRequests!) {
            assert.equal(r.credentials, false)
            assert.deepEqual(r.granted, [`repository:${FIRMWARE}:pull`])
        }
        assert.ok(registry.tokenRequests!.some(r => r.scopes.some(pullAndPush)), "it asked for push")
        assert.equal((await getManifest(registry, FIRMWARE, (await anonymousToken(registry, FIRMWARE)).token)).status, 200)
    })

    test("push with the registry's credentials works, with a pull,push token asked for with Basic credentials", async t => {
        if (skipped) return t.skip(skipped)
        registry.tokenRequests!.length = 0
        const r = await pushFirmware(`${registry.host}/${FIRMWARE}:v3`, firmware(3), { credentials: registry.credentials })
        assert.deepEqual([r.uploaded, r.skipped], [1, 1], "the config blob was there")
        const asked = registry.tokenRequests!.find(q => q.granted.some(pullAndPush))
        assert.ok(asked, JSON.stringify(registry.tokenRequests))
        assert.equal(asked.credentials, true)
        assert.match(asked.url, new RegExp(`account=${registry.credentials!.username}`))
        const session = new TokenSession()
        const res = await session.fetch(`${registry.url}/v2/${FIRMWARE}/manifests/v3`, { headers: { Accept: MANIFEST_MEDIA_TYPE } })
        assert.equal(res.status, 200)
        assert.equal(res.headers.get("docker-content-digest"), r.digest)
    })

    test("wrong credentials: the token server answers 401, and the push says so", async t => {
        if (skipped) return t.skip(skipped)
        const credentials = { username: registry.credentials!.username, password: "wrong" }
        await assert.rejects(pushFirmware(`${registry.host}/${FIRMWARE}:v4`, firmware(4), { credentials }), (e: Error) => {
            assert.match(e.message, /checking the empty config blob: HEAD .* answered 401; token server answered 401 Unauthorized to GET http:\/\/127\.0\.0\.1:\d+\/token\?.* \(as picokubelet\): \{"details":"incorrect username or password"\}/)
            return true
        })
    })

    test("the token server wants the registry's service", async t => {
        if (skipped) return t.skip(skipped)
        for (const service of ["", "?service=another"]) assert.equal((await fetch(registry.tokenRealm! + service)).status, 400)
    })
})

describe("a registry whose tokens name their key by kid and come as access_token", () => {
    let registry: Registry
    let skipped: string | undefined

    before(async () => {
        const r = await start({ tokenAuth: true, tokenSigning: "kid", tokenResponse: "access_token", tokenTtlSeconds: 60 })
        if (typeof r === "string") return void (skipped = r)
        registry = r
        await pushFirmware(`${registry.host}/${FIRMWARE}:dev`, firmware(5), { credentials: registry.credentials })
    })
    after(async () => {
        await registry?.stop()
    })

    test("the anonymous flow works with a short token: kid is the root key's RFC 7638 thumbprint", async t => {
        if (skipped) return t.skip(skipped)
        const { token, body } = await anonymousToken(registry, FIRMWARE)
        assert.deepEqual(Object.keys(body).sort(), ["access_token", "expires_in", "issued_at"])
        assert.equal(body.expires_in, 60)
        const header = decode(token.split(".")[0])
        assert.equal(header.x5c, undefined)
        const caKey = createPrivateKey(readFileSync(join(registry.dataDir, "token", "token-ca-key.pem")))
        assert.equal(header.kid, jwkThumbprint(caKey))
        assert.ok(token.length < 800, `${token.length} characters`)
        assert.equal((await getManifest(registry, FIRMWARE, token)).status, 200)
    })

    test("fetchToken takes access_token as well as token", async t => {
        if (skipped) return t.skip(skipped)
        const c = parseChallenge(challengeFor(registry, `repository:${FIRMWARE}:pull`))!
        const token = await fetchToken(c)
        assert.equal((await getManifest(registry, FIRMWARE, token)).status, 200)
    })
})

describe("the push client and a token server that fails", () => {
    test("a realm nobody listens on: the push names the registry request and the token server", async () => {
        const closed = createServer()
        await new Promise<void>(r => closed.listen(0, "127.0.0.1", r))
        const realm = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`
        await new Promise(r => closed.close(r))
        const srv = createServer((_req, res) => res.writeHead(401, { "WWW-Authenticate": `Bearer realm="${realm}/token",service="r",scope="repository:picokubelet/firmware:pull"` }).end())
        await new Promise<void>(r => srv.listen(0, "127.0.0.1", r))
        const port = (srv.address() as AddressInfo).port
        try {
            await assert.rejects(pushFirmware(`127.0.0.1:${port}/picokubelet/firmware:v1`, firmware(6)), (e: Error) => {
                assert.equal(
                    e.message,
                    `registry 127.0.0.1:${port}: checking the empty config blob: HEAD http://127.0.0.1:${port}/v2/picokubelet/firmware/blobs/sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a answered 401; ` +
                        `token server ${realm} not reachable (ECONNREFUSED): GET ${realm}/token?service=r&scope=repository%3Apicokubelet%2Ffirmware%3Apull`
                )
                return true
            })
        } finally {
            srv.close()
        }
    })
})
