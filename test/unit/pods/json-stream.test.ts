import * as ds from "@devicescript/core"
import { describe, test } from "../harness"
import { expectEqual } from "../matchers"
import { JsonScanner, MAX_DEPTH, MAX_VALUE_BYTES } from "../../../src/k8s/json-stream"
import { Rng } from "../fuzz/rng"
import { METADATA_LIST_BODY } from "./samples"

/** Scans `json` in pieces of `piece` bytes; returns "path=value" lines (null: "path{") and the error. */
async function scan(json: string, wanted: string[], piece: number): Promise<string[]> {
    const seen: string[] = []
    const s = new JsonScanner(wanted, (path, value) => {
        seen.push(value === null ? path + "{" : path + "=" + value)
    })
    const b = Buffer.from(json)
    // a fiber slice per 256 bytes, as the transport feeds at most 512: the VM's watchdog counts opcodes per slice
    for (let at = 0; at < b.length; at += piece) {
        s.push(b, at, Math.min(b.length, at + piece))
        if (at % 256 < piece) await ds.sleep(0)
    }
    s.end()
    if (s.error) seen.push("error: " + s.error)
    return seen
}

const LIST =
    '{"kind":"List","items":[{"metadata":{"name":"a","uid":"u1","managedFields":[{"f:spec":{"k:{\\"name\\":\\"c\\"}":{}}}],"labels":{"x":"y"}}},' +
    '{"metadata":{"name":"b\\"q\\u00e9","uid":"u2","deletionTimestamp":"2026-11-29T05:00:00Z"}}]}'

describe("JSON stream scanner", () => {
    test("reports wanted values and record starts, in every piece size", async () => {
        const want = ["items[]", "items[].metadata.name", "items[].metadata.uid", "items[].metadata.deletionTimestamp"]
        const expected = [
            "items[]{",
            "items[].metadata.name=a",
            "items[].metadata.uid=u1",
            "items[]{",
            'items[].metadata.name=b"q\u00e9',
            "items[].metadata.uid=u2",
            "items[].metadata.deletionTimestamp=2026-11-29T05:00:00Z",
        ]
        for (const piece of [1, 2, 3, 7, 64, 4096]) expectEqual(await scan(LIST, want, piece), expected)
    })
    test("skips what is not asked for, even when it looks like what is", async () => {
        // "name" inside managedFields and labels must not be reported as metadata.name
        const json = '{"metadata":{"labels":{"name":"no"},"name":"yes"},"other":[{"name":"no"}]}'
        expectEqual(await scan(json, ["metadata.name"], 5), ["metadata.name=yes"])
    })
    test("numbers, literals and whitespace", async () => {
        const json = ' { "a" : 12 , "b" : [ true , null , -1.5e3 ] , "c" : "x" } '
        expectEqual(await scan(json, ["a", "b[]", "c"], 2), ["a=12", "b[]=true", "b[]=null", "b[]=-1.5e3", "c=x"])
    })
    test("a backslash at the end of a piece", async () => {
        expectEqual(await scan('{"a":"x\\\\y\\"z"}', ["a"], 1), ['a=x\\y"z'])
    })
    test("refuses unbalanced brackets, a cut-off document, bad escapes", async () => {
        expectEqual(await scan('{"a":[1}', ["a[]"], 3), ["a[]=1", "error: unbalanced brackets (near byte 6)"])
        expectEqual(await scan('{"a":"b"', ["a"], 3), ["a=b", "error: the document ended early (near byte 8)"])
        expectEqual(await scan('{"a":"\\q"}', ["a"], 64), ["error: a string with a bad escape (near byte 0)"])
    })
    test("refuses a wanted value longer than the cap, and nesting deeper than the limit", async () => {
        let long = ""
        while (long.length <= MAX_VALUE_BYTES) long += "0123456789abcdef"
        const out = await scan(`{"a":"${long}"}`, ["a"], 512)
        expectEqual(out.length, 1)
        expectEqual(out[0].indexOf("is longer than 1024 bytes") > 0, true)
        // an unwanted long value is only skipped
        expectEqual(await scan(`{"b":"${long}","a":"ok"}`, ["a"], 512), ["a=ok"])
        let deep = ""
        let path = ""
        for (let i = 0; i <= MAX_DEPTH; i++) {
            deep += "["
            path += "[]"
        }
        expectEqual(await scan(deep, [path], 64), [`error: nested deeper than ${MAX_DEPTH} (near byte 0)`])
    })
})

// Seeded property tests: a random document, serialized, scanned in random
// splits, reports exactly the scalars a walk of the document finds at the
// wanted paths, in document order; the same text mutated or cut never
// throws and ends either done or refused.

const KEYS = ["metadata", "name", "uid", "items", "spec", "x", "containers"]
const PIECES = ["a", "Z", "0", " ", '"', "\\", "/", "\n", "\t", "\u0001", "{", "}", "[", "]", ":", ",", '"uid":"x"']

function randomString(rng: Rng): string {
    let s = ""
    for (let n = rng.int(6); n > 0; n--) s += rng.pick(PIECES)
    return s
}

function randomValue(rng: Rng, depth: number): any {
    const k = rng.int(depth >= 3 ? 4 : 6)
    if (k === 0) return rng.int(100000)
    if (k === 1) return rng.oneIn(2)
    if (k === 2 || k === 3) return randomString(rng)
    if (k === 4) {
        const a: any[] = []
        for (let n = rng.int(3); n > 0; n--) a.push(randomValue(rng, depth + 1))
        return a
    }
    const o: any = {}
    for (let n = rng.int(4); n > 0; n--) o[rng.pick(KEYS)] = randomValue(rng, depth + 1)
    return o
}

/** "path=value" of every scalar, in document order. */
function walk(v: any, path: string, out: string[]) {
    if (Array.isArray(v)) {
        for (const x of v) walk(x, path + "[]", out)
    } else if (v !== null && typeof v === "object") {
        for (const k of Object.keys(v)) walk(v[k], path ? path + "." + k : k, out)
    } else out.push(path + "=" + (typeof v === "string" ? v : JSON.stringify(v)))
}

async function splitScan(text: string, wanted: string[], rng: Rng): Promise<{ seen: string[]; s: JsonScanner }> {
    const seen: string[] = []
    const s = new JsonScanner(wanted, (path, value) => {
        if (value !== null) seen.push(path + "=" + value)
    })
    const b = Buffer.from(text)
    for (let at = 0; at < b.length; ) {
        const to = Math.min(b.length, at + 1 + rng.int(40))
        s.push(b, at, to)
        at = to
        await ds.sleep(0)
    }
    s.end()
    return { seen, s }
}

describe("JSON stream scanner, seeded properties", () => {
    test("random documents in random splits: the wanted scalars, in order", async () => {
        for (let seed = 1; seed <= 60; seed++) {
            const rng = new Rng(seed)
            const doc: any = {}
            for (let n = 1 + rng.int(4); n > 0; n--) doc[rng.pick(KEYS)] = randomValue(rng, 1)
            const all: string[] = []
            walk(doc, "", all)
            const wanted: string[] = []
            for (const line of all) {
                const path = line.slice(0, line.indexOf("="))
                if (wanted.indexOf(path) < 0 && rng.oneIn(2)) wanted.push(path)
            }
            const expected: string[] = []
            for (const line of all) if (wanted.indexOf(line.slice(0, line.indexOf("="))) >= 0) expected.push(line)
            const r = await splitScan(JSON.stringify(doc), wanted, rng)
            expectEqual([seed, r.s.error, r.seen], [seed, undefined, expected])
        }
    })
    test("mutated or cut documents never throw: done or refused", async () => {
        for (let seed = 1; seed <= 80; seed++) {
            const rng = new Rng(1000 + seed)
            const text = rng.oneIn(2) ? METADATA_LIST_BODY.slice(0, 600) + "]}" : JSON.stringify(randomValue(rng, 0))
            const b = Buffer.from(text)
            for (let n = 1 + rng.int(4); n > 0; n--) b[rng.int(b.length)] = rng.pick([34, 92, 123, 125, 91, 93, 44, 58, 48, 120, 0])
            const cut = rng.oneIn(3) ? rng.int(b.length) : b.length
            const r = await splitScan(b.slice(0, cut).toString("utf-8"), ["items[]", "items[].metadata.name", "x"], rng)
            expectEqual([seed, r.s.done || r.s.error !== undefined], [seed, true])
        }
    })
})
