// Pushing the firmware as an OCI artifact (image-spec 1.1) with the
// distribution spec's own requests, over Node's fetch:
//   HEAD  /v2/<repo>/blobs/<digest>          200: already there, skip
//   POST  /v2/<repo>/blobs/uploads/          202 + Location
//   PUT   <Location>?digest=<digest>         201 (the whole blob in one request)
//   PUT   /v2/<repo>/manifests/<tag>         201 + Docker-Content-Digest
// A registry that wants a token gets one through auth.ts (anonymous, or with
// Basic `credentials`: a push usually needs them). HTTPS, except plain HTTP
// for loopback registries (127.0.0.0/8, localhost, [::1]) or when asked.
import { createHash } from "node:crypto"
import { Credentials, TokenError, TokenSession } from "./auth"
import { Firmware } from "./firmware"

export const MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
export const ARTIFACT_TYPE = "application/vnd.picokubelet.firmware.v1"
/**
 * The layer: raw DeviceScript bytecode, as the device stores it. Named the way
 * OCI names its own layers (application/vnd.oci.image.layer.v1.tar): the
 * format as the last dotted part, leaving a `+suffix` free for an encoding
 * (a later `...v1.devs+gzip`); `+devs` would claim a structured-syntax suffix
 * that is not one.
 */
export const LAYER_MEDIA_TYPE = "application/vnd.picokubelet.firmware.layer.v1.devs"
export const EMPTY_MEDIA_TYPE = "application/vnd.oci.empty.v1+json"
export const EMPTY_JSON = Buffer.from("{}")
/** The image-spec's empty descriptor, `data` inline so that a client never needs to fetch it. */
export const EMPTY_DESCRIPTOR = {
    mediaType: EMPTY_MEDIA_TYPE,
    digest: "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
    size: 2,
    data: "e30=",
}
export const LAYER_TITLE = "picokubelet.devs"

export const ANNOTATIONS = {
    version: "org.opencontainers.image.version",
    created: "org.opencontainers.image.created",
    runtimeVersion: "picokubelet.dev/runtime-version",
    firmwareVersion: "picokubelet.dev/firmware-version",
} as const

export interface Reference {
    /** host[:port] as written. */
    registry: string
    repository: string
    tag: string
}

// the distribution spec's grammar for names and tags
const COMPONENT = "[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*"
const REPOSITORY = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`)
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/

/** `<registry>/<repository>:<tag>`; the registry must be explicit (a dot, a port, or localhost). */
export function parseReference(ref: string): Reference {
    const bad = (why: string) => new Error(`bad reference ${JSON.stringify(ref)}: ${why}; expected <registry>/<repository>:<tag>, e.g. 127.0.0.1:5000/picokubelet/firmware:v0.1.0`)
    if (!ref) throw bad("empty")
    if (ref.includes("@")) throw bad("a digest cannot be pushed to; give a tag")
    if (/^[a-z]+:\/\//i.test(ref)) throw bad("no scheme (http:// or https://)")
    const slash = ref.indexOf("/")
    if (slash < 0) throw bad("no registry and no repository")
    const registry = ref.slice(0, slash)
    const rest = ref.slice(slash + 1)
    if (!(registry.includes(".") || registry.includes(":") || registry === "localhost"))
        throw bad(`${JSON.stringify(registry)} is not a registry host (no registry given: a host needs a dot or a port, or is localhost)`)
    if (!HOST.test(registry)) throw bad(`${JSON.stringify(registry)} is not a host[:port]`)
    const colon = rest.lastIndexOf(":")
    if (colon < 0) throw bad("no tag")
    const repository = rest.slice(0, colon)
    const tag = rest.slice(colon + 1)
    if (!REPOSITORY.test(repository)) throw bad(`repository ${JSON.stringify(repository)} is not lower-case components separated by /`)
    if (!TAG.test(tag)) throw bad(`tag ${JSON.stringify(tag)} is not [A-Za-z0-9_][A-Za-z0-9._-]{0,127}`)
    return { registry, repository, tag }
}

export function isLoopback(registry: string): boolean {
    const host = registry.replace(/:\d+$/, "").replace(/^\[|\]$/g, "")
    return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host)
}

export interface PushOptions {
    /** Plain HTTP even for a registry that is not on loopback. */
    plainHttp?: boolean
    log?: (line: string) => void
    /** Per request; default 60 s. */
    timeoutMs?: number
    /** Sent to the token server of a registry that uses token authentication (never to the registry itself). */
    credentials?: Credentials
}

export interface PushResult {
    /** sha256:<hex> of the manifest. */
    digest: string
    /** <registry>/<repository>@sha256:<hex>. */
    pinned: string
    manifest: Buffer
    /** Blobs sent / found already there. */
    uploaded: number
    skipped: number
}

const sha256 = (b: Buffer) => "sha256:" + createHash("sha256").update(b).digest("hex")

/** The manifest's bytes; the same firmware always gives the same bytes. */
export function firmwareManifest(fw: Firmware): Buffer {
    const manifest = {
        schemaVersion: 2,
        mediaType: MANIFEST_MEDIA_TYPE,
        artifactType: ARTIFACT_TYPE,
        config: EMPTY_DESCRIPTOR,
        layers: [
            {
                mediaType: LAYER_MEDIA_TYPE,
                digest: "sha256:" + fw.sha256,
                size: fw.bytecode.length,
                annotations: { "org.opencontainers.image.title": LAYER_TITLE },
            },
        ],
        annotations: {
            [ANNOTATIONS.created]: fw.builtAt,
            [ANNOTATIONS.version]: fw.packageVersion,
            [ANNOTATIONS.firmwareVersion]: fw.firmwareVersion,
            [ANNOTATIONS.runtimeVersion]: fw.runtimeVersion,
        },
    }
    return Buffer.from(JSON.stringify(manifest))
}

class Client {
    readonly session: TokenSession
    constructor(
        readonly ref: Reference,
        readonly base: string,
        readonly timeoutMs: number,
        readonly credentials?: Credentials
    ) {
        this.session = new TokenSession({ credentials, timeoutMs })
    }

    async request(method: string, url: string, what: string, init: { headers?: Record<string, string>; body?: Buffer } = {}): Promise<Response> {
        let res: Response
        try {
            const body = init.body && new Uint8Array(init.body) // a copy: fetch types want an ArrayBuffer-backed view
            res = await this.session.fetch(url, { method, headers: init.headers, body, redirect: "follow", signal: AbortSignal.timeout(this.timeoutMs) })
        } catch (e: any) {
            if (e instanceof TokenError) throw new Error(`registry ${this.ref.registry}: ${what}: ${method} ${url} answered 401; ${e.message}`)
            const cause = e?.cause?.code ?? e?.cause?.message ?? e?.name ?? String(e)
            const why = e?.name === "TimeoutError" ? `no answer within ${this.timeoutMs} ms` : `not reachable (${cause})`
            throw new Error(`registry ${this.ref.registry} ${why}: ${what}: ${method} ${url}`)
        }
        return res
    }

    async expect(res: Response, ok: number[], method: string, url: string, what: string): Promise<Response> {
        if (ok.includes(res.status)) return res
        const body = (await res.text().catch(() => "")).trim().slice(0, 400)
        const challenge = res.headers.get("www-authenticate") ?? "none"
        const auth =
            res.status !== 401
                ? ""
                : !/^\s*bearer\b/i.test(challenge)
                  ? ` (only token authentication is supported; WWW-Authenticate: ${challenge})`
                  : ` (with a token${this.credentials ? ` for ${this.credentials.username}` : " got anonymously: no credentials given"}; WWW-Authenticate: ${challenge})`
        throw new Error(`registry ${this.ref.registry}: ${what} failed: ${method} ${url} answered ${res.status} ${res.statusText}${auth}${body ? `: ${body}` : ""}`)
    }

    /** Uploads a blob unless the registry has it; true when it was sent. */
    async blob(bytes: Buffer, digest: string, what: string): Promise<boolean> {
        const repo = `${this.base}/v2/${this.ref.repository}`
        const headUrl = `${repo}/blobs/${digest}`
        const head = await this.request("HEAD", headUrl, `checking ${what}`)
        if (head.status === 200) return false
        await this.expect(head, [404], "HEAD", headUrl, `checking ${what}`)

        const postUrl = `${repo}/blobs/uploads/`
        const post = await this.expect(await this.request("POST", postUrl, `starting the upload of ${what}`), [202], "POST", postUrl, `starting the upload of ${what}`)
        const location = post.headers.get("location")
        if (!location) throw new Error(`registry ${this.ref.registry}: POST ${postUrl} answered 202 without a Location`)
        const put = new URL(location, this.base)
        put.searchParams.set("digest", digest)
        const putRes = await this.request("PUT", put.href, `uploading ${what}`, {
            headers: { "Content-Type": "application/octet-stream" },
            body: bytes,
        })
        await this.expect(putRes, [201], "PUT", put.href, `uploading ${what}`)
        return true
    }

    async manifest(bytes: Buffer, digest: string): Promise<void> {
        const url = `${this.base}/v2/${this.ref.repository}/manifests/${this.ref.tag}`
        const res = await this.request("PUT", url, "putting the manifest", { headers: { "Content-Type": MANIFEST_MEDIA_TYPE }, body: bytes })
        await this.expect(res, [201], "PUT", url, "putting the manifest")
        const said = res.headers.get("docker-content-digest")
        if (said && said !== digest) throw new Error(`registry ${this.ref.registry}: stored the manifest as ${said}, but its bytes hash to ${digest}`)
    }
}

/** Pushes a built firmware to `ref` (`<registry>/<repository>:<tag>`); throws an Error naming what failed. */
export async function pushFirmware(ref: string, fw: Firmware, opts: PushOptions = {}): Promise<PushResult> {
    const log = opts.log ?? (() => {})
    const parsed = parseReference(ref)
    const scheme = opts.plainHttp || isLoopback(parsed.registry) ? "http" : "https"
    const client = new Client(parsed, `${scheme}://${parsed.registry}`, opts.timeoutMs ?? 60_000, opts.credentials)
    let uploaded = 0
    let skipped = 0
    for (const [bytes, digest, what] of [
        [EMPTY_JSON, EMPTY_DESCRIPTOR.digest, "the empty config blob"],
        [fw.bytecode, "sha256:" + fw.sha256, `the firmware layer (${fw.bytecode.length} bytes)`],
    ] as const) {
        const sent = await client.blob(bytes, digest, what)
        log(`${sent ? "uploaded" : "already there:"} ${what} ${digest}`)
        sent ? uploaded++ : skipped++
    }
    const manifest = firmwareManifest(fw)
    const digest = sha256(manifest)
    await client.manifest(manifest, digest)
    log(`manifest ${digest} tagged ${parsed.tag}`)
    return { digest, pinned: `${parsed.registry}/${parsed.repository}@${digest}`, manifest, uploaded, skipped }
}
