// The emulator held to the real server: the same request sequence (the
// recorded exchanges' requests) goes to our emulator and to a real
// kube-apiserver; status codes, framing, header names and the JSON keys of
// every body must agree, except where differential-allowlist.json says why not.
import assert from "node:assert/strict"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { after, before, describe, test } from "node:test"
import { ApiServer, startApiServer } from "../../tools/apiserver"
import { Cluster, startCluster } from "../../tools/cluster"
import { fixtureDirFor, loadFixtures, RawResponse, request } from "../apiserver/wire"
import { Exchange, FIXTURE_NODE, PLACEHOLDER_TOKEN, RECORDING_RBAC, replay, type ReplaySource } from "../apiserver/replay"

interface Allowed {
    /** Exchange name, or "*" for every exchange. */
    exchange: string
    /** A difference as `differences` spells it. */
    difference: string
    reason: string
    /** Depends on timing (a controller racing the replay): may be absent from a run. */
    timing?: boolean
}

const allowlist: Allowed[] = JSON.parse(readFileSync(join(__dirname, "differential-allowlist.json"), "utf8"))

const json = (r: RawResponse): any => {
    try {
        return JSON.parse(r.body.toString("utf8"))
    } catch {
        return undefined
    }
}

/** Every key path in a JSON value; arrays as [], managedFields' field sets (uid-keyed) left out. */
function keyPaths(value: unknown, prefix = "", into = new Set<string>()): Set<string> {
    if (Array.isArray(value)) for (const v of value) keyPaths(v, `${prefix}[]`, into)
    else if (value && typeof value === "object")
        for (const [k, v] of Object.entries(value)) {
            const path = prefix ? `${prefix}.${k}` : k
            into.add(path)
            if (k !== "fieldsV1") keyPaths(v, path, into)
        }
    return into
}

/**
 * What differs between the emulator's reply and the real one, one string per
 * difference: status, framing, header names, JSON key paths, and the values a
 * client acts on (valueDifferences).
 */
function differences(emulator: RawResponse, real: RawResponse): string[] {
    const out: string[] = []
    if (emulator.status !== real.status) out.push(`status:${emulator.status}!=${real.status}`)
    if (emulator.framing !== real.framing) out.push(`framing:${emulator.framing}!=${real.framing}`)
    const names = (r: RawResponse) => new Set(r.headers.map(([k]) => k.toLowerCase()))
    const [eh, rh] = [names(emulator), names(real)]
    for (const h of rh) if (!eh.has(h)) out.push(`header-missing:${h}`)
    for (const h of eh) if (!rh.has(h)) out.push(`header-extra:${h}`)
    const [ej, rj] = [json(emulator), json(real)]
    if ((ej === undefined) !== (rj === undefined)) out.push(`body:${ej === undefined ? "not JSON" : "JSON"}!=${rj === undefined ? "not JSON" : "JSON"}`)
    else if (rj !== undefined) {
        const [ek, rk] = [keyPaths(ej), keyPaths(rj)]
        for (const k of rk) if (!ek.has(k)) out.push(`key-missing:${k}`)
        for (const k of ek) if (!rk.has(k)) out.push(`key-extra:${k}`)
        out.push(...valueDifferences(ej, rj))
    }
    return out
}

/** uids, resourceVersions and times differ by nature; the rest of a message must not */
const normalizeText = (s: string) => s.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "UID").replace(/\d+/g, "0")
/** What names.SimpleNameGenerator appends to a generateName. */
const GENERATED = /^[bcdfghjklmnpqrstvwxz2456789]{5}$/

/** The values a client acts on: an error's reason and message, which objects a list holds, generated names. */
function valueDifferences(e: any, r: any): string[] {
    const out: string[] = []
    if (r?.kind === "Status") {
        if (e?.reason !== r.reason) out.push(`reason:${e?.reason}!=${r.reason}`)
        if (normalizeText(String(e?.message)) !== normalizeText(String(r.message))) out.push(`message:${e?.message}`)
    }
    if (Array.isArray(r?.items) || Array.isArray(e?.items) || r?.items === null) {
        const names = (j: any) => JSON.stringify(j?.items === null ? null : (j?.items ?? []).map((i: any) => `${i.metadata?.namespace ?? ""}/${i.metadata?.name}`))
        if (names(e) !== names(r)) out.push(`items:${names(e)}!=${names(r)}`)
    }
    // a page's continue token (its resourceVersion aside) and remainingItemCount
    const token = (j: any) => {
        const t = j?.metadata?.continue
        if (!t) return String(t)
        try {
            const { v, start } = JSON.parse(Buffer.from(t, "base64url").toString("utf8"))
            return JSON.stringify({ v, start })
        } catch {
            return `undecodable ${t}`
        }
    }
    if (token(e) !== token(r)) out.push(`continue:${token(e)}!=${token(r)}`)
    if (e?.metadata?.remainingItemCount !== r?.metadata?.remainingItemCount)
        out.push(`remainingItemCount:${e?.metadata?.remainingItemCount}!=${r?.metadata?.remainingItemCount}`)
    const meta = e?.metadata
    if (r?.metadata?.generateName && !(meta?.name?.startsWith(meta.generateName) && GENERATED.test(meta.name.slice(meta.generateName.length))))
        out.push(`generated-name:${meta?.name}`)
    return out
}

const token = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url")
const META = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
const PODS = `/api/v1/pods?fieldSelector=spec.nodeName%3D${FIXTURE_NODE}%2Cstatus.phase%21%3DSucceeded%2Cstatus.phase%21%3DFailed&limit=4`
const list = (name: string, path: string, accept = META, continueToken?: string): ReplaySource => ({
    name,
    request: Buffer.from(request("GET", path, PLACEHOLDER_TOKEN).replace("Accept: application/json", `Accept: ${accept}`), "latin1"),
    continueToken,
})

/**
 * Paged listings beyond the recorded ones, after them (the pods of 64-77
 * still there): the ways a continue token can be bad, tokens at the latest
 * and at a future revision, limit's parsing, and pages that end on keys that
 * do not match. Compared live only; nothing records them.
 */
function pagingProbes(): ReplaySource[] {
    const bad: [string, string][] = [
        ["base64-one-char", "a"],
        ["base64-padding", "eyJ2Ijo="],
        ["base64-std-alphabet", "eyJ2+/"],
        ["json-garbage", "abc"],
        ["json-trailing", Buffer.from("{} x").toString("base64url")],
        ["json-array", Buffer.from("[1]").toString("base64url")],
        ["json-rv-string", token({ v: "meta.k8s.io/v1", rv: "5", start: "a" })],
        ["json-after-key", Buffer.from('{"v" 1}').toString("base64url")],
        ["json-bad-escape", Buffer.from('{"v":"\\q"}').toString("base64url")],
        ["version-empty", token({})],
        ["version-other", token({ v: "x", rv: 5, start: "a" })],
        ["rv-zero", token({ v: "meta.k8s.io/v1", rv: 0, start: "default/page-03\u0000" })],
        ["start-empty", token({ v: "meta.k8s.io/v1", rv: 5, start: "" })],
        ["start-traversal", token({ v: "meta.k8s.io/v1", rv: 5, start: "../nodes/x" })],
        ["start-trailing-slash", token({ v: "meta.k8s.io/v1", rv: 5, start: "default/" })],
    ]
    return [
        ...bad.map(([name, t]) => list(`probe-continue-${name}-400`, `${PODS}&continue=${t}`)),
        list("probe-continue-latest-rv", `${PODS}&continue=${token({ v: "meta.k8s.io/v1", rv: -1, start: "default/page-03\u0000" })}`),
        list("probe-continue-start-inclusive", `${PODS}&continue=${token({ v: "meta.k8s.io/v1", rv: -1, start: "default/page-03" })}`),
        list("probe-continue-future-rv-500", `${PODS}&continue=${token({ v: "meta.k8s.io/v1", rv: 999999999, start: "default/page-03\u0000" })}`),
        list("probe-continue-with-resource-version-400", `${PODS}&resourceVersion=5&continue=${token({ v: "meta.k8s.io/v1", rv: -1, start: "a" })}`),
        list("probe-limit-not-a-number-400", `${PODS.replace("limit=4", "limit=abc")}`),
        list("probe-limit-out-of-range-400", `${PODS.replace("limit=4", "limit=99999999999999999999")}`),
        list("probe-limit-zero-whole-list", `${PODS.replace("limit=4", "limit=0")}`),
        list("probe-limit-with-resource-version-0-whole-list", `${PODS}&resourceVersion=0`),
        // every pod in default, three a page: remainingItemCount on each page but the last
        list("probe-unfiltered-first", "/api/v1/namespaces/default/pods?limit=3", META, "PROBE-UNFILTERED-1"),
        list("probe-unfiltered-second", "/api/v1/namespaces/default/pods?limit=3&continue=PROBE-UNFILTERED-1", META, "PROBE-UNFILTERED-2"),
        list("probe-unfiltered-third", "/api/v1/namespaces/default/pods?limit=3&continue=PROBE-UNFILTERED-2", "application/json", "PROBE-UNFILTERED-3"),
        list("probe-unfiltered-fourth", "/api/v1/namespaces/default/pods?limit=3&continue=PROBE-UNFILTERED-3", META),
        // a full page whose last match is followed only by keys that do not match: a token, then an empty page
        list("probe-filled-by-last-match", "/api/v1/pods?fieldSelector=metadata.name%3Dpage-00&limit=1", META, "PROBE-FILLED"),
        list("probe-empty-page-after-token", "/api/v1/pods?fieldSelector=metadata.name%3Dpage-00&limit=1&continue=PROBE-FILLED"),
        list("probe-empty-page-after-token-full", "/api/v1/pods?fieldSelector=metadata.name%3Dpage-00&limit=1&continue=PROBE-FILLED", "application/json"),
    ]
}

const allowedFor = (name: string) => allowlist.filter(a => a.exchange === "*" || a.exchange === name)

// the 1.31 set's requests: the 1.26 set's (00-30), then pod theater's (31 on,
// test/apiserver/pod-theater.ts), as tools/cluster/record-fixtures.ts recorded them
describe("the emulator against a real kube-apiserver: the recorded request sequence", () => {
    const fixtures: ReplaySource[] = [...loadFixtures(fixtureDirFor("1.31")), ...pagingProbes()]
    let cluster: Cluster
    let emulator: ApiServer
    let real: Exchange[]
    let emulated: Exchange[]
    before(async () => {
        cluster = await startCluster({ nodeNames: [FIXTURE_NODE] })
        await cluster.kubectl.apply(readFileSync(RECORDING_RBAC, "utf8"))
        emulator = await startApiServer({
            port: 0,
            quiet: true,
            dataDir: mkdtempSync(join(tmpdir(), "pk-differential-")),
            bootstrapToken: cluster.token,
            rbacManifests: [RECORDING_RBAC],
        })
        real = await replay(fixtures, { port: cluster.port, caFile: cluster.caFile, token: cluster.token, admin: cluster.adminCert })
        emulated = await replay(fixtures, {
            port: emulator.port,
            caFile: emulator.caFile,
            token: cluster.token,
            admin: { token: emulator.tokens.admin },
        })
    })
    after(async () => {
        await emulator?.stop()
        await cluster?.stop()
    })

    const used = new Set<Allowed>()
    for (const f of fixtures)
        test(f.name, () => {
            const i = real.findIndex(x => x.name === f.name)
            const found = differences(emulated[i].response, real[i].response)
            const allowed = allowedFor(f.name)
            const unexplained = found.filter(d => {
                const entry = allowed.find(a => a.difference === d)
                if (entry) used.add(entry)
                return !entry
            })
            assert.deepEqual(unexplained, [], `emulator vs real ${cluster.version}; real reply:\n${real[i].response.raw.toString("utf8").slice(0, 1500)}`)
        })

    test("every allowlist entry still explains a difference", () => {
        const stale = allowlist.filter(a => !used.has(a) && !a.timing)
        assert.deepEqual(stale, [], "remove entries the emulator no longer needs")
    })
})
