// Replays every recorded exchange with a real kube-apiserver, in order, and
// holds the emulator's answer to the recording: the 1.31 set recorded from
// our local control plane (npm run record-fixtures) and the 1.26 set as a
// second reference.
import assert from "node:assert/strict"
import { before, describe, test } from "node:test"
import { useEmulator } from "./harness"
import { Exchange, PLACEHOLDER_TOKEN, RECORDING_RBAC, replay } from "./replay"
import { fixtureDirFor, header, loadFixtures, type RawResponse } from "./wire"

const keys = (o: unknown) => Object.keys(o ?? {}).sort()
const parse = (r: RawResponse): any => {
    try {
        return JSON.parse(r.body.toString("utf8"))
    } catch {
        return undefined
    }
}
// uids, resourceVersions and times differ by nature
const normalize = (s: string | undefined) => s?.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, "UID").replace(/\d+/g, "0")
// names only: values (uids, dates) differ by nature
const headerNames = (r: RawResponse) => r.headers.map(([k]) => k)

/**
 * A body's size without what kube-controller-manager races the kubelet for on
 * a new Node: the TTL annotation, the beta os/arch labels, the not-ready
 * taint it lifts, and with them who owns what in managedFields. On a real
 * server these land a moment after the exchange that causes them, before or
 * after the next one, so two recordings of the same sequence differ here.
 */
function comparableSize(json: any): number {
    if (json.kind !== "Node") return Buffer.byteLength(JSON.stringify(json))
    const copy = structuredClone(json)
    const meta = copy.metadata
    delete meta.managedFields
    delete meta.annotations?.["node.alpha.kubernetes.io/ttl"]
    delete meta.labels?.["beta.kubernetes.io/os"]
    delete meta.labels?.["beta.kubernetes.io/arch"]
    if (copy.spec?.taints) copy.spec.taints = copy.spec.taints.filter((t: any) => t.key !== "node.kubernetes.io/not-ready")
    return Buffer.byteLength(JSON.stringify(copy))
}

/** A continue token's content: base64url JSON {"v","rv","start"}. */
const decodeToken = (token: string) => JSON.parse(Buffer.from(token, "base64url").toString("utf8"))
/** The continue token a request carries, if any. */
const continueIn = (request: Buffer) => {
    const target = request.toString("latin1").split(" ")[1]
    const token = new URL(target, "http://x").searchParams.get("continue")
    return token ? decodeToken(token) : undefined
}

const UIDS = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g
/** What names.SimpleNameGenerator appends to a generateName. */
const GENERATED = /^[bcdfghjklmnpqrstvwxz2456789]{5}$/
const serverTimes = new Set(["creationTimestamp", "deletionTimestamp", "time"])

/**
 * A body with what differs by nature between two servers replaced by
 * markers: uids, resourceVersions, the times the server stamps, the random
 * part of generated names. Times the request carried, key order and every
 * other value stay, so two normalized bodies must serialize the same.
 */
function normalized(json: any): any {
    const walk = (v: any, key: string): any => {
        if (Array.isArray(v)) return v.map(x => walk(x, key))
        if (v && typeof v === "object") {
            const out: any = {}
            for (const [k, x] of Object.entries(v)) out[k] = walk(x, k)
            const meta = out.metadata
            if (meta?.generateName && typeof meta.name === "string" && meta.name.startsWith(meta.generateName)) {
                const suffix = meta.name.slice(meta.generateName.length)
                meta.name = `${meta.generateName}${GENERATED.test(suffix) ? "<generated>" : suffix}`
            }
            return out
        }
        if (typeof v !== "string") return v
        if (key === "resourceVersion") return "<rv>"
        // a continue token carries the list's resourceVersion; its version and start key must agree
        if (key === "continue" && v) return `<token ${JSON.stringify({ ...decodeToken(v), rv: "<rv>" })}>`
        if (serverTimes.has(key)) return "<time>"
        return inText(v).replace(/^kube-api-access-[a-z0-9]{5}$/, "kube-api-access-<random>")
    }
    // uids in managedFields keys and in messages (a 422 quotes the whole object)
    const inText = (s: string) =>
        s.replace(UIDS, "<uid>")
            .replace(/(resourceVersion\\*":\\*")\d+/g, "$1<rv>")
            .replace(/((?:creationTimestamp|time)\\*":\\*")[0-9TZ:-]+/g, "$1<time>")
    const keysToo = (v: any): any => {
        if (Array.isArray(v)) return v.map(keysToo)
        if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [inText(k), keysToo(x)]))
        return v
    }
    return keysToo(walk(json, ""))
}

/**
 * The emulator answers as kube-apiserver 1.31 (the users' k3s): every
 * exchange of the 1.31 set is held to its recording in detail. The 1.26 set
 * is a second reference for what has not changed between the versions:
 * status codes and framing (bodies and headers moved: hostIPs, warnings).
 */
for (const [version, detailed] of [["1.31", true], ["1.26", false]] as const) {
    describe(`fixture replay against kube-apiserver ${version} recordings`, () => {
        const fixtures = loadFixtures(fixtureDirFor(version))
        // recorded with the placeholder bootstrap token and the extra rights of recording-rbac.yaml
        const ctx = useEmulator({ bootstrapToken: PLACEHOLDER_TOKEN, rbacManifests: [RECORDING_RBAC] })
        let replies: Exchange[]
        before(async () => {
            replies = await replay(fixtures, { port: ctx.server.port, caFile: ctx.server.caFile, token: PLACEHOLDER_TOKEN, admin: { token: ctx.server.tokens.admin } })
        })

        for (const [i, f] of fixtures.entries()) {
            test(f.name, () => {
                const got = replies[i].response
                const want = f.response
                assert.equal(got.status, want.status, got.body.toString())
                assert.equal(got.framing, want.framing, "framing")
                assert.equal(got.framing === "chunked", got.body.length > 2048, "Go's 2048-byte rule")
                if (!detailed) return
                const [w, g] = [parse(want), parse(got)]
                assert.deepEqual(headerNames(got), headerNames(want), "header names and order")
                assert.match(header(got, "date") ?? "", /^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT$/)
                assert.equal(g === undefined, w === undefined, "both JSON or neither")
                if (!w) return
                assert.deepEqual(keys(g), keys(w), "top-level keys")
                for (const k of ["kind", "apiVersion", "reason", "code", "status"] as const)
                    if (typeof w[k] !== "object") assert.equal(g[k], w[k], k)
                if (w.kind === "Status") {
                    assert.equal(normalize(g.message), normalize(w.message), "message")
                    assert.deepEqual(keys(g.details), keys(w.details), "details keys")
                } else {
                    assert.deepEqual(keys(g.metadata), keys(w.metadata), "metadata keys")
                    assert.deepEqual(keys(g.spec), keys(w.spec), "spec keys")
                    assert.deepEqual(keys(g.status), keys(w.status), "status keys")
                    assert.equal(comparableSize(g), comparableSize(w), "body size (same uid/timestamp widths)")
                }
                // a page and its token name one revision; a continued page reads at the token's, on both servers
                for (const [body, request] of [[g, replies[i].request], [w, f.request]] as const) {
                    if (body.kind === "Status") continue
                    if (body.metadata?.continue) assert.equal(String(decodeToken(body.metadata.continue).rv), body.metadata.resourceVersion, "token rv = list rv")
                    const sent = continueIn(request)
                    if (sent) assert.equal(body.metadata.resourceVersion, String(sent.rv), "a continued page is read at the token's revision")
                }
                // what the kubelet reads and writes is held whole; a Node carries the controllers' races
                if (w.kind !== "Node")
                    assert.equal(JSON.stringify(normalized(g), null, 1), JSON.stringify(normalized(w), null, 1), "the whole body, normalized")
            })
        }
    })
}
