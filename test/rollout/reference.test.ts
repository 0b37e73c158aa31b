import assert from "node:assert/strict"
import { describe, test } from "node:test"
import { parseDigestReference } from "../../tools/rollout/reference"

const HEX = "0123456789abcdef".repeat(4)

describe("digest-pinned references", () => {
    for (const ref of [
        `127.0.0.1:5000/picokubelet/firmware@sha256:${HEX}`,
        `localhost/fw@sha256:${HEX}`,
        `ghcr.io/acme/pico-kubelet/fw@sha256:${HEX}`,
        `[::1]:5000/fw@sha256:${HEX}`,
    ])
        test(`accepts ${ref.split("@")[0]}`, () => {
            const r = parseDigestReference(ref)
            assert.equal(r.text, ref)
            assert.equal(r.digest, `sha256:${HEX}`)
            assert.equal(`${r.registry}/${r.repository}@${r.digest}`, ref)
        })

    const refused: [string, RegExp][] = [
        ["127.0.0.1:5000/picokubelet/firmware:v0.2.0", /a tag can move during a rollout; give the digest-pinned reference/],
        ["127.0.0.1:5000/picokubelet/firmware", /no digest/],
        [`127.0.0.1:5000/fw:v1@sha256:${HEX}`, /without a tag/],
        [`picokubelet/firmware@sha256:${HEX}`, /no registry host/],
        [`fw@sha256:${HEX}`, /no registry host/],
        [`reg.io/Firmware@sha256:${HEX}`, /is not lower-case components/],
        [`reg.io/fw@sha256:${HEX.slice(1)}`, /is not sha256: and 64 lower-case hex digits/],
        [`reg.io/fw@sha256:${HEX.toUpperCase()}`, /64 lower-case hex/],
        [`reg.io/fw@sha512:${HEX}${HEX}`, /is not sha256:/],
        ["", /no digest/],
    ]
    for (const [ref, why] of refused)
        test(`refuses ${JSON.stringify(ref.length > 50 ? ref.slice(0, 50) + "..." : ref)}`, () => {
            assert.throws(() => parseDigestReference(ref), (e: Error) => {
                assert.match(e.message, why)
                assert.match(e.message, /expected <registry>\/<repository>@sha256:<64 hex>/)
                return true
            })
        })
})
