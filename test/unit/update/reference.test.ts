// The desired-firmware reference and the manifest checks: pure, table-driven.
import { digest } from "@devicescript/crypto"
import { describe, test } from "../harness"
import { expectContains, expectEqual } from "../matchers"
import { checkManifest } from "../../../src/update/manifest"
import { digestString, parseImageReference } from "../../../src/update/reference"
import { tokenOf, tokenRequest } from "../../../src/update/auth"

const HEX = "9806be9df50f9a4a833657975be2cf842a7959432ea5d4e81d2c0d3e44c2b932"

interface RefCase {
    ref: string
    /** host:port tls repository, or a part of the refusal. */
    want: string
}

const REFS: RefCase[] = [
    { ref: `127.0.0.1:5000/picokubelet/firmware@sha256:${HEX}`, want: "127.0.0.1:5000 false picokubelet/firmware" },
    { ref: `localhost/fw@sha256:${HEX}`, want: "localhost:80 false fw" },
    { ref: `ghcr.io/acme/picokubelet@sha256:${HEX}`, want: "ghcr.io:443 true acme/picokubelet" },
    { ref: `registry.lan:8443/fw@sha256:${HEX}`, want: "registry.lan:8443 true fw" },
    { ref: "ghcr.io/acme/picokubelet:v2", want: "not pinned by digest" },
    { ref: `ghcr.io/acme/picokubelet:v2@sha256:${HEX}`, want: "a tag and a digest together" },
    { ref: `ghcr.io/acme/picokubelet@sha256:${HEX.toUpperCase()}`, want: "not sha256:<64 lowercase hex>" },
    { ref: `ghcr.io/acme/picokubelet@sha512:${HEX}`, want: "not sha256:<64 lowercase hex>" },
    { ref: `picokubelet@sha256:${HEX}`, want: "no registry host" },
    { ref: `registry.lan:99999/fw@sha256:${HEX}`, want: 'bad registry port "99999"' },
]

function manifest(o: any): Buffer {
    const m: any = {
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        artifactType: "application/vnd.picokubelet.firmware.v1",
        config: { mediaType: "application/vnd.oci.empty.v1+json", digest: "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", size: 2 },
        layers: [{ mediaType: "application/vnd.picokubelet.firmware.layer.v1.devs", digest: `sha256:${HEX}`, size: 80544 }],
        annotations: { "picokubelet.dev/runtime-version": "v2.16.4", "picokubelet.dev/firmware-version": "v0.2.0" },
    }
    if (o.artifactType !== undefined) m.artifactType = o.artifactType
    if (o.runtime) m.annotations["picokubelet.dev/runtime-version"] = o.runtime
    if (o.layers) m.layers = o.layers
    if (o.size) m.layers[0].size = o.size
    return Buffer.from(JSON.stringify(m))
}

function check(body: Buffer, pinned?: string) {
    return checkManifest(body, { digest: pinned || digestString(digest("sha256", body)), runtimeVersion: "v2.16.4", capacity: 131072 })
}

describe("firmware reference", () => {
    test("each reference parses or says what is wrong", () => {
        for (const c of REFS) {
            const r = parseImageReference(c.ref)
            if (typeof r === "string") expectContains(r, c.want, c.ref)
            else expectEqual(`${r.host}:${r.port} ${r.tls} ${r.repository}`, c.want, c.ref)
        }
    })
    test("the digest is kept whole", () => {
        const r: any = parseImageReference(`127.0.0.1:5000/fw@sha256:${HEX}`)
        expectEqual(r.digest, `sha256:${HEX}`)
    })
})

describe("firmware manifest", () => {
    test("a good manifest gives its layer", () => {
        expectEqual(check(manifest({})), { digest: `sha256:${HEX}`, size: 80544, version: "v0.2.0" })
    })
    test("a manifest that is not the pinned one is refused", () => {
        expectContains("" + check(manifest({}), `sha256:${HEX}`), "manifest digest mismatch: the registry sent sha256:")
    })
    test("another artifact type, runtime, layer count or size is refused", () => {
        expectContains("" + check(manifest({ artifactType: "application/vnd.oci.image.config.v1+json" })), "artifact type application/vnd.oci.image.config.v1+json is not")
        expectContains("" + check(manifest({ runtime: "v2.15.0" })), "built for runtime v2.15.0, this device runs v2.16.4")
        expectContains("" + check(manifest({ runtime: "v3.16.4" })), "built for runtime v3.16.4")
        expectContains("" + check(manifest({ layers: [] })), "exactly one layer")
        expectContains("" + check(manifest({ size: 200000 })), "200000 bytes, more than this device's 131072-byte flash budget")
        expectContains("" + check(Buffer.from("not json")), "not JSON")
    })
    test("another patch release of the runtime is accepted (the runtime checks major and minor)", () => {
        expectEqual((check(manifest({ runtime: "v2.16.0" })) as any).size, 80544)
    })
    test("without artifactType the config's media type decides (older registries)", () => {
        const r = check(manifest({ artifactType: null }))
        expectContains("" + (r as any), "artifact type application/vnd.oci.empty.v1+json")
    })
})

describe("registry token challenge", () => {
    test("a Bearer challenge gives the realm with service and scope as its query", () => {
        expectEqual(tokenRequest('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:acme/fw:pull"'), {
            host: "auth.docker.io",
            port: 443,
            tls: true,
            path: "/token?service=registry.docker.io&scope=repository%3Aacme%2Ffw%3Apull",
        })
        expectEqual(tokenRequest('Bearer realm="http://127.0.0.1:5001/auth?x=1",service="r"'), { host: "127.0.0.1", port: 5001, tls: false, path: "/auth?x=1&service=r" })
    })
    test("anything else says why", () => {
        expectContains("" + tokenRequest('Basic realm="registry"'), "wants credentials (Basic)")
        expectContains("" + tokenRequest(null), "no challenge")
        expectContains("" + tokenRequest('Bearer realm="ftp://x/token"'), "not an http(s) URL")
        expectContains("" + tokenRequest('Bearer realm="http://x:0/token"'), "bad port")
    })
    test("the token is token or access_token", () => {
        expectEqual([tokenOf(Buffer.from('{"token":"a"}')), tokenOf(Buffer.from('{"access_token":"b"}')), tokenOf(Buffer.from("{}")), tokenOf(Buffer.from("x"))], ["a", "b", "", ""])
    })
})
