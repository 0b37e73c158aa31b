import * as ds from "@devicescript/core"
import { describe, test } from "../harness"
import { expectEqual } from "../matchers"
import { JsonScanner, MAX_DEPTH, MAX_VALUE_BYTES } from "../../../src/k8s/json-stream"

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
