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
import { fixtureDirFor, loadFixtures, RawResponse } from "../apiserver/wire"
import { Exchange, FIXTURE_NODE, RECORDING_RBAC, replay } from "../apiserver/replay"

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
    const meta = e?.metadata
    if (r?.metadata?.generateName && !(meta?.name?.startsWith(meta.generateName) && GENERATED.test(meta.name.slice(meta.generateName.length))))
        out.push(`generated-name:${meta?.name}`)
    return out
}

const allowedFor = (name: string) => allowlist.filter(a => a.exchange === "*" || a.exchange === name)

// the 1.31 set's requests: the 1.26 set's (00-30), then pod theater's (31 on,
// test/apiserver/pod-theater.ts), as tools/cluster/record-fixtures.ts recorded them
describe("the emulator against a real kube-apiserver: the recorded request sequence", () => {
    const fixtures = loadFixtures(fixtureDirFor("1.31"))
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
