// Paged lists (limit, continue) in the emulator: what the recordings 64-81
// and the differential test's probes showed the real 1.31 server do, plus
// the 410 a compacted token gets, which the real control plane cannot be
// made to show on demand.
import assert from "node:assert/strict"
import { before, describe, test } from "node:test"
import { useEmulator } from "./harness"
import { RawClient, request, type RawResponse } from "./wire"

const META = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
const NODE = "n1"
const PODS = `/api/v1/pods?fieldSelector=spec.nodeName%3D${NODE}%2Cstatus.phase%21%3DSucceeded%2Cstatus.phase%21%3DFailed`
const tokenOf = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url")
const decode = (t: string) => JSON.parse(Buffer.from(t, "base64url").toString("utf8"))

describe("paged lists", () => {
    const ctx = useEmulator()
    const admin = () => ctx.server.tokens.admin
    const get = async (path: string, accept = META): Promise<RawResponse & { json: any }> => {
        const r = await (ctx.conn as RawClient).exchange(request("GET", path, admin()).replace("Accept: application/json", `Accept: ${accept}`))
        return { ...r, json: JSON.parse(r.body.toString("utf8")) }
    }
    const send = (method: string, path: string, body?: unknown) => ctx.conn.exchange(request(method, path, admin(), body))
    const create = (name: string, node = NODE) =>
        send("POST", "/api/v1/namespaces/default/pods", { apiVersion: "v1", kind: "Pod", metadata: { name }, spec: { nodeName: node, containers: [{ name: "c", image: "busybox" }] } })
    const names = (r: { json: any }) => (r.json.items ?? []).map((i: any) => i.metadata.name)

    before(async () => {
        for (const n of ["p00", "p01", "p02", "p03", "p04", "p05", "p06", "p07", "p08", "p09"]) await create(n)
        await create("p05x", "elsewhere")
    })

    test("the firmware's walk: full pages with a token, at the first page's revision; the last page has none", async () => {
        const first = await get(`${PODS}&limit=4`)
        assert.deepEqual(names(first), ["p00", "p01", "p02", "p03"])
        const rv = first.json.metadata.resourceVersion
        assert.deepEqual(decode(first.json.metadata.continue), { v: "meta.k8s.io/v1", rv: Number(rv), start: "/default/p03\u0000" })
        assert.match(first.json.metadata.continue, /^[A-Za-z0-9_-]+$/, "base64url, unpadded: nothing to percent-encode")
        assert.equal(first.json.metadata.remainingItemCount, undefined, "not with a selector")
        // changes between pages do not show
        await send("DELETE", "/api/v1/namespaces/default/pods/p05", { gracePeriodSeconds: 0 })
        await create("p045")
        const middle = await get(`${PODS}&limit=4&continue=${first.json.metadata.continue}`)
        assert.deepEqual(names(middle), ["p04", "p05", "p06", "p07"])
        assert.equal(middle.json.metadata.resourceVersion, rv)
        assert.deepEqual(decode(middle.json.metadata.continue), { v: "meta.k8s.io/v1", rv: Number(rv), start: "default/p07\u0000" })
        const last = await get(`${PODS}&limit=4&continue=${middle.json.metadata.continue}`)
        assert.deepEqual(names(last), ["p08", "p09"])
        assert.deepEqual(last.json.metadata, { resourceVersion: rv })
        // a new walk sees the changes
        assert.deepEqual(names(await get(`${PODS}&limit=4`)), ["p00", "p01", "p02", "p03"])
        const latest = await get(`${PODS}&limit=4&continue=${tokenOf({ v: "meta.k8s.io/v1", rv: -1, start: "default/p03\u0000" })}`)
        assert.deepEqual(names(latest), ["p04", "p045", "p06", "p07"], "rv -1: the latest revision")
    })

    test("without a selector, remainingItemCount counts the keys after the page", async () => {
        const r = await get("/api/v1/namespaces/default/pods?limit=3", "application/json")
        assert.equal(r.json.kind, "PodList")
        assert.deepEqual(decode(r.json.metadata.continue).start, "/p02\u0000", "relative to the namespace")
        assert.equal(r.json.metadata.remainingItemCount, 8)
        const next = await get(`/api/v1/namespaces/default/pods?limit=3&continue=${r.json.metadata.continue}`)
        assert.deepEqual(names(next), ["p03", "p04", "p045"])
        assert.equal(next.json.metadata.remainingItemCount, 5)
    })

    test("a page filled by the last match still has a token; the page after it is empty, without one", async () => {
        const r = await get("/api/v1/pods?fieldSelector=metadata.name%3Dp00&limit=1")
        assert.deepEqual(names(r), ["p00"])
        const next = await get(`/api/v1/pods?fieldSelector=metadata.name%3Dp00&limit=1&continue=${r.json.metadata.continue}`)
        assert.equal(next.json.items, null, "a metadata list's empty items are null")
        assert.equal(next.json.metadata.continue, undefined)
    })

    test("limit: 0 or with resourceVersion=0 the whole list; not an int64, 400", async () => {
        assert.equal(names(await get(`${PODS}&limit=0`)).length, 10)
        assert.equal(names(await get(`${PODS}&limit=2&resourceVersion=0`)).length, 10)
        const r = await get(`${PODS}&limit=abc`)
        assert.equal(r.status, 400)
        assert.equal(r.json.message, 'strconv.ParseInt: parsing "abc": invalid syntax')
    })

    test("bad tokens: 400 with Go's words", async () => {
        const cases: [string, string][] = [
            ["a", "illegal base64 data at input byte 0"],
            ["eyJ2Ijo=", "illegal base64 data at input byte 7"],
            ["abc", "invalid character 'i' looking for beginning of value"],
            [Buffer.from('{"v":"meta.k8s.io/v1","rv":').toString("base64url"), "unexpected end of JSON input"],
            [Buffer.from("{} x").toString("base64url"), "invalid character 'x' after top-level value"],
            [Buffer.from("[1]").toString("base64url"), "json: cannot unmarshal array into Go value of type storage.continueToken"],
            [tokenOf({ v: "meta.k8s.io/v1", rv: "5", start: "a" }), "json: cannot unmarshal string into Go struct field continueToken.rv of type int64"],
            [tokenOf({}), "server does not recognize this encoded version "],
            [tokenOf({ v: "meta.k8s.io/v1", rv: 0, start: "a" }), "incorrect encoded start resourceVersion (version meta.k8s.io/v1)"],
            [tokenOf({ v: "meta.k8s.io/v1", rv: 5, start: "" }), "encoded start key empty (version meta.k8s.io/v1)"],
            [tokenOf({ v: "meta.k8s.io/v1", rv: 5, start: "../nodes/x" }), "../nodes/x"],
        ]
        for (const [t, why] of cases) {
            const r = await get(`${PODS}&limit=4&continue=${t}`)
            assert.equal(r.status, 400, t)
            assert.equal(r.json.message, `invalid continue token: continue key is not valid: ${why}`)
        }
        const withRv = await get(`${PODS}&limit=4&resourceVersion=5&continue=${tokenOf({ v: "meta.k8s.io/v1", rv: -1, start: "a" })}`)
        assert.equal(withRv.json.message, "specifying resource version is not allowed when using continue")
        const future = await get(`${PODS}&limit=4&continue=${tokenOf({ v: "meta.k8s.io/v1", rv: 999999999, start: "a" })}`)
        assert.equal(future.status, 500)
        assert.equal(future.json.message, "etcdserver: mvcc: required revision is a future revision")
    })

    test("a token from before a compaction: 410 Expired, with a token to go on at the latest revision", async () => {
        const first = await get(`${PODS}&limit=4`)
        await create("p10")
        ctx.server.compact()
        const r = await get(`${PODS}&limit=4&continue=${first.json.metadata.continue}`)
        assert.equal(r.status, 410)
        assert.equal(r.json.reason, "Expired")
        assert.match(r.json.message, /^The provided continue parameter is too old to display a consistent list result/)
        assert.deepEqual(decode(r.json.metadata.continue), { v: "meta.k8s.io/v1", rv: -1, start: "default/p03\u0000" })
        const onward = await get(`${PODS}&limit=4&continue=${r.json.metadata.continue}`)
        assert.equal(onward.status, 200)
        assert.deepEqual(names(onward), ["p04", "p045", "p06", "p07"])
        // a token taken after the compaction reads fine
        const fresh = await get(`${PODS}&limit=4`)
        assert.equal((await get(`${PODS}&limit=4&continue=${fresh.json.metadata.continue}`)).status, 200)
    })
})
