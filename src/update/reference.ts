// The desired firmware as the Node annotation names it:
// <registry>/<repository>@sha256:<64 hex>. Only a digest pins what the node
// will run (a tag can move under a rollout), so a tag is refused.
//
// The registry speaks plain HTTP only on loopback, as containerd and Docker
// treat localhost; anywhere else it is HTTPS.
import { Endpoint } from "./auth"

export const FIRMWARE_ANNOTATION = "picokubelet.dev/firmware"
export const FIRMWARE_DIGEST_ANNOTATION = "picokubelet.dev/firmware-digest"
export const FIRMWARE_STATUS_ANNOTATION = "picokubelet.dev/firmware-status"

const DIGEST_PREFIX = "sha256:"
const HEX_DIGITS = "0123456789abcdef"
const ZERO_DIGEST = "0000000000000000000000000000000000000000000000000000000000000000"

/** A registry (the reference's host, port and scheme) and what to pull from it. */
export interface ImageReference extends Endpoint {
    repository: string
    /** "sha256:<64 hex>", the manifest's digest. */
    digest: string
}

/** 64 lowercase hex digits. */
export function isSha256Hex(s: string): boolean {
    if (s.length !== 64) return false
    for (let i = 0; i < 64; i++) if (HEX_DIGITS.indexOf(s[i]) < 0) return false
    return true
}

function isLoopback(host: string): boolean {
    return host === "localhost" || host.indexOf("127.") === 0
}

/** The reference, or a string saying what is wrong with it. */
export function parseImageReference(ref: string): ImageReference | string {
    const at = ref.indexOf("@")
    if (at < 0) return `${ref}: not pinned by digest (<registry>/<repository>@sha256:<64 hex>)`
    const digest = ref.slice(at + 1)
    if (digest.indexOf(DIGEST_PREFIX) !== 0 || !isSha256Hex(digest.slice(DIGEST_PREFIX.length)))
        return `${ref}: the digest is not sha256:<64 lowercase hex>`
    const name = ref.slice(0, at)
    const slash = name.indexOf("/")
    if (slash <= 0 || slash === name.length - 1) return `${ref}: no registry host before the repository`
    const hostPort = name.slice(0, slash)
    const repository = name.slice(slash + 1)
    if (repository.indexOf(":") >= 0) return `${ref}: a tag and a digest together; give the digest alone`
    const colon = hostPort.indexOf(":")
    const host = colon < 0 ? hostPort : hostPort.slice(0, colon)
    const tls = !isLoopback(host)
    let port = tls ? 443 : 80
    if (colon >= 0) {
        const p = hostPort.slice(colon + 1)
        port = parseInt(p)
        if (!(port > 0 && port < 65536) || "" + port !== p) return `${ref}: bad registry port "${p}"`
    }
    return { host, port, tls, repository, digest }
}

/** The 32 bytes of "sha256:<hex>" or of bare hex. */
export function digestBytes(digest: string): Buffer {
    const hex = digest.indexOf(DIGEST_PREFIX) === 0 ? digest.slice(DIGEST_PREFIX.length) : digest
    return Buffer.from(hex, "hex")
}

/** "sha256:<hex>" of 32 bytes; "" for none (a fixed-size register reads an empty digest as zeros). */
export function digestString(bytes: Buffer): string {
    if (!bytes || bytes.length !== 32) return ""
    const hex = bytes.toString("hex")
    return hex === ZERO_DIGEST ? "" : DIGEST_PREFIX + hex
}
