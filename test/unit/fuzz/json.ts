// Fuzz target: findJsonString, the scanner of reply prefixes (uid, Status
// reason and message). A random object, nested, with escapes, unicode and
// keys quoted inside values, is serialized; the scanner must find what
// JSON.parse finds (the first such key with a string value, in document
// order) and, on the text cut off at any byte, that same value or nothing.
import * as ds from "@devicescript/core"
import { findJsonString } from "../../../src/k8s/api"
import { FuzzTarget, Rng, check } from "./rng"

const KEYS = ["uid", "reason", "message", "name", "kind", "x"]
const PIECES = [
    "a", "Z", "0", " ", '"', "\\", "/", "\n", "\t", "\r", "\b", "\u0001", "\u001f", "é", "\u2603", "\ud83d\ude00",
    '"uid":"', '\\"uid\\":\\"fake\\"', "\\u0022", "{", "}", "[", "]", ":", ",", "nodes \"x\" already exists",
]

function randomString(rng: Rng): string {
    let s = ""
    const n = rng.int(rng.oneIn(8) ? 30 : 6)
    for (let i = 0; i < n; i++) s += rng.pick(PIECES)
    return s
}

function randomValue(rng: Rng, depth: number): any {
    const k = rng.int(depth > 3 ? 4 : 6)
    if (k === 0) return rng.int(100000)
    if (k === 1) return rng.oneIn(2)
    if (k === 2 || k === 3) return randomString(rng)
    if (k === 4) {
        const a: any[] = []
        const n = rng.int(3)
        for (let i = 0; i < n; i++) a.push(randomValue(rng, depth + 1))
        return a
    }
    return randomObject(rng, depth + 1)
}

function randomObject(rng: Rng, depth: number): any {
    const o: any = {}
    const n = rng.int(4)
    for (let i = 0; i < n; i++) o[rng.oneIn(3) ? randomString(rng) : rng.pick(KEYS)] = randomValue(rng, depth)
    return o
}

/** The first `key` with a string value, in the order JSON.stringify writes them. */
function firstString(v: any, key: string): string {
    if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
            const r = firstString(v[i], key)
            if (r !== undefined) return r
        }
        return undefined
    }
    if (typeof v !== "object" || v === null) return undefined
    const keys = Object.keys(v)
    for (let i = 0; i < keys.length; i++) {
        if (keys[i] === key && typeof v[keys[i]] === "string") return v[keys[i]]
        const r = firstString(v[keys[i]], key)
        if (r !== undefined) return r
    }
    return undefined
}

function quoted(s: string) {
    return s === undefined ? "undefined" : JSON.stringify(s)
}

export const jsonTarget: FuzzTarget = {
    name: "json",
    run: async (rng: Rng) => {
        const doc = randomObject(rng, 0)
        const text = JSON.stringify(doc)
        const key = rng.pick(KEYS)
        const want = firstString(JSON.parse(text), key)
        const got = findJsonString(text, key)
        check(got === want, `${quoted(key)} in ${text}: found ${quoted(got)}, JSON.parse says ${quoted(want)}`)
        // cut at every byte (long texts: at 24 random ones)
        const every = text.length <= 120
        const n = every ? text.length : 24
        for (let i = 0; i < n; i++) {
            const cut = every ? i : rng.int(text.length)
            const r = findJsonString(text.slice(0, cut), key)
            check(r === undefined || r === want, `${quoted(key)} in ${quoted(text.slice(0, cut))} (cut at ${cut}): found ${quoted(r)}, whole text has ${quoted(want)}`)
            if (i % 32 === 31) await ds.sleep(0)
        }
        // any text at all: a string or nothing, never an exception
        let junk = ""
        const m = rng.int(12)
        for (let i = 0; i < m; i++) junk += rng.oneIn(3) ? `"${rng.pick(KEYS)}":"` : rng.pick(PIECES)
        const j = findJsonString(junk, rng.pick(KEYS))
        check(j === undefined || typeof j === "string", `junk ${quoted(junk)} gave ${j}`)
    },
}
