import * as ds from "@devicescript/core"
import { describe, expect, test } from "../harness"
import { expectContains, expectEqual, expectNotContains, expectThrows } from "../matchers"
import { FIXTURES, Fixture } from "./fixtures"
import { repeat } from "./fake-wire"
import { buildRequestHead, hostHeader } from "../../../src/net/request"
import { BodyMode, ResponseParser } from "../../../src/net/response-parser"
import { NetError, errorName, isNetError } from "../../../src/net/errors"
import { USER_AGENT } from "../../../src/net/version"

const WHERE = "k3s.test:6443 GET /x"

function parser(mode: BodyMode, maxBody?: number, prefixBytes?: number, method?: string) {
    return new ResponseParser({ method: method || "GET", mode, maxBody, prefixBytes, where: WHERE })
}

/** One push of `raw` is refused with an error containing `part`. */
function refuses(raw: string, part: string) {
    expectThrows(() => parser("buffer").push(Buffer.from(raw)), part)
}

/** Feeds the pieces; returns the bytes left unused after the response ended. */
function feed(p: ResponseParser, pieces: Buffer[]): number {
    let left = 0
    for (let i = 0; i < pieces.length; i++) {
        const used = p.push(pieces[i])
        left += pieces[i].length - used
    }
    return left
}

function checkFixture(f: Fixture, p: ResponseParser, what: string) {
    expectEqual(p.done, true, `${what}: done`)
    expectEqual(p.status, f.status, `${what}: status`)
    expectEqual(p.headers.get("Date"), f.date, `${what}: Date`)
    expectEqual(p.framing, f.chunked ? "chunked" : "length", `${what}: framing`)
    expectEqual(p.bodyBytes, f.bodyTo - f.bodyFrom, `${what}: body bytes`)
}

/** Every split of the raw bytes into two reads, yielding between batches. */
async function everySplit(f: Fixture, mode: BodyMode, step?: number) {
    const raw = Buffer.from(f.raw)
    const body = f.raw.slice(f.bodyFrom, f.bodyTo)
    const t0 = ds.millis()
    const inc = step || 1
    for (let k = 0; k <= raw.length; k += inc) {
        const p = parser(mode, 16384, 100)
        // two reads, without allocating them: push takes a range
        const used = p.push(raw, 0, k)
        const left = raw.length - used - p.push(raw, k, raw.length)
        // cheap checks first; the descriptive ones only on a mismatch
        const ok = left === 0 && p.done && p.status === f.status && p.bodyBytes === f.bodyTo - f.bodyFrom
        if (!ok || k === 0) {
            const what = `${f.name} split at ${k}`
            expectEqual(left, 0, `${what}: unused bytes`)
            checkFixture(f, p, what)
        }
        if (mode === "buffer" && p.body().toString() !== body) expectEqual(p.body().toString(), body, `split ${k}: body`)
        if (mode === "prefix" && p.body().toString() !== body.slice(0, 100)) expectEqual(p.body().toString(), body.slice(0, 100), `split ${k}`)
        if (k % 16 === 0) await ds.sleep(1)
    }
    console.log(`${f.name} ${mode}: ${ds.millis() - t0} ms`)
}

const CHUNKY =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nX-Rep: a\r\nx-rep: b\r\n\r\n" +
    "5\r\nhello\r\n" +
    "A;name=value\r\n, chunked!\r\n" +
    "1b ; ext\r\n world, in upper/lower hex \r\n" +
    "0000000f\r\n and extensions\r\n" +
    "0;last\r\nX-Trailer: yes\r\nOther: 1\r\n\r\n"
const CHUNKY_BODY = "hello, chunked! world, in upper/lower hex  and extensions"

describe("request framing", () => {
    test("GET head: request line, Host, User-Agent, bearer token; no Accept (the API server's default is JSON: 26 bytes a request saved)", () => {
        const h = buildRequestHead({ method: "get", path: "/api/v1/nodes/n1?x=1", host: "k3s.test", port: 6443, tls: true, token: "abc.def", bodyLength: 0 })
        expectEqual(
            h,
            "GET /api/v1/nodes/n1?x=1 HTTP/1.1\r\nHost: k3s.test:6443\r\nUser-Agent: picokubelet/0.1.0\r\n" +
                "Authorization: Bearer abc.def\r\n\r\n"
        )
        expectEqual(USER_AGENT, "picokubelet/0.1.0")
    })
    test("PATCH head: Content-Type override and Content-Length", () => {
        const h = buildRequestHead({
            method: "PATCH", path: "/p", host: "h", port: 443, tls: true, bodyLength: 52,
            headers: { "Content-Type": "application/merge-patch+json", "Content-Length": "999", Host: "evil" },
        })
        expectEqual(h, "PATCH /p HTTP/1.1\r\nHost: h\r\nUser-Agent: picokubelet/0.1.0\r\nContent-Length: 52\r\nContent-Type: application/merge-patch+json\r\n\r\n")
        expectContains(buildRequestHead({ method: "POST", path: "/p", host: "h", port: 80, tls: false, bodyLength: 0 }), "Content-Length: 0\r\n")
        expectEqual(hostHeader("h", 80, false), "h")
        expectEqual(hostHeader("h", 443, false), "h:443")
        expectEqual(hostHeader("fe80::1", 6443, true), "[fe80::1]:6443")
    })
    test("control characters cannot split the request", () => {
        expectThrows(() => buildRequestHead({ method: "GET", path: "/a\r\nX: y", host: "h", port: 1, tls: true, bodyLength: 0 }), "path")
        expectThrows(() => buildRequestHead({ method: "GET", path: "/a", host: "h", port: 1, tls: true, bodyLength: 0, headers: { X: "a\nb" } }), "header X")
        expectThrows(() => buildRequestHead({ method: "GET", path: "a", host: "h", port: 1, tls: true, bodyLength: 0 }), "start with /")
    })
})

describe("response framing: recorded responses split at every byte", () => {
    test("fixtures are what they claim", () => {
        expectEqual(FIXTURES.length, 4)
        expectEqual(FIXTURES[2].chunked, true)
        expect(FIXTURES[2].raw.length > 3000).toBe(true)
    })
    test("01-get-version (Content-Length), buffer mode", async () => {
        await everySplit(FIXTURES[0], "buffer")
    })
    test("07-patch-lease-renew-200 (Content-Length 833), buffer mode", async () => {
        await everySplit(FIXTURES[1], "buffer")
    })
    test("08-patch-lease-bad-renewtime-422 (chunked, 3 KB), buffer mode", async () => {
        await everySplit(FIXTURES[2], "buffer")
    })
    test("08 (chunked) in discard mode and 07 in prefix mode, every 5th split", async () => {
        await everySplit(FIXTURES[2], "discard", 5)
        await everySplit(FIXTURES[1], "prefix", 5)
    })
    test("25-unauthorized-bad-token-401, buffer mode, and JSON of the body", async () => {
        await everySplit(FIXTURES[3], "buffer")
        const p = parser("buffer")
        feed(p, [Buffer.from(FIXTURES[3].raw)])
        expectEqual(JSON.parse(p.body().toString()).reason, "Unauthorized")
    })
    test("one byte per read", async () => {
        for (let i = 0; i < FIXTURES.length; i++) {
            const f = FIXTURES[i]
            const raw = Buffer.from(f.raw)
            const p = parser("buffer", 16384)
            for (let k = 0; k < raw.length; k++) {
                expectEqual(p.push(raw.slice(k, k + 1)), 1)
                if (k % 100 === 0) await ds.sleep(1)
            }
            checkFixture(f, p, f.name)
            expectEqual(p.body().toString(), f.raw.slice(f.bodyFrom, f.bodyTo))
        }
    })
    test("three reads: every 5th first cut, second cut 7 bytes later (chunked)", async () => {
        const f = FIXTURES[2]
        const raw = Buffer.from(f.raw)
        for (let k = 0; k + 7 <= raw.length; k += 5) {
            const p = parser("discard")
            const used = p.push(raw, 0, k) + p.push(raw, k, k + 7) + p.push(raw, k + 7, raw.length)
            if (used !== raw.length) expectEqual(used, raw.length, `cut ${k}`)
            if (!p.done || p.bodyBytes !== f.bodyTo - f.bodyFrom) checkFixture(f, p, `cut ${k}`)
            if (k % 8 === 0) await ds.sleep(1)
        }
    })
})

describe("response framing: chunked details", () => {
    test("several chunks, upper/lower hex, leading zeros, extensions, trailers, every split", async () => {
        const raw = Buffer.from(CHUNKY)
        for (let k = 0; k <= raw.length; k++) {
            const p = parser("buffer")
            expectEqual(p.push(raw, 0, k) + p.push(raw, k, raw.length), raw.length, `split ${k}`)
            expectEqual(p.done, true)
            expectEqual(p.body().toString(), CHUNKY_BODY, `split ${k}`)
            if (k % 8 === 0) await ds.sleep(1)
        }
    })
    test("repeated headers are joined, names compared without case", () => {
        const p = parser("buffer")
        feed(p, [Buffer.from(CHUNKY)])
        expectEqual(p.headers.get("X-REP"), "a, b")
        expectEqual(p.headers.get("content-type"), "application/json")
        expectEqual(p.headers.get("missing"), null)
        expectEqual(p.keepAlive, true)
    })
    test("a bad chunk size line is a BadResponse", () => {
        const p = parser("buffer")
        expectThrows(() => p.push(Buffer.from("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")), "bad chunk size")
        const q = parser("buffer")
        expectThrows(() => q.push(Buffer.from("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX")), "CRLF")
    })
})

describe("response framing: bodies and connections", () => {
    test("204, 304 and HEAD have no body; bytes after them are left unused", () => {
        const r204 = Buffer.from("HTTP/1.1 204 No Content\r\nDate: x\r\n\r\nHTTP/1.1")
        const p = parser("buffer")
        expectEqual(p.push(r204), r204.length - 8)
        expectEqual(p.done, true)
        expectEqual(p.framing, "none")
        const q = parser("buffer")
        q.push(Buffer.from("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"))
        expectEqual(q.done, true)
        const h = parser("buffer", 8192, 0, "HEAD")
        h.push(Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"))
        expectEqual(h.done, true)
        expectEqual(h.bodyBytes, 0)
    })
    test("Connection: close from the server ends keep-alive", () => {
        const p = parser("buffer")
        p.push(Buffer.from("HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 2\r\n\r\nok"))
        expectEqual(p.done, true)
        expectEqual(p.keepAlive, false)
        expectEqual(p.body().toString(), "ok")
    })
    test("HTTP/1.0 close-delimited body completes at end of stream", () => {
        const p = parser("buffer")
        p.push(Buffer.from("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello "))
        p.push(Buffer.from("world"))
        expectEqual(p.done, false)
        p.eof()
        expectEqual(p.done, true)
        expectEqual(p.keepAlive, false)
        expectEqual(p.httpVersion, "1.0")
        expectEqual(p.framing, "close")
        expectEqual(p.body().toString(), "hello world")
        const k = parser("buffer")
        k.push(Buffer.from("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx"))
        expectEqual(k.keepAlive, true)
    })
    test("end of stream inside a framed body is ConnectionClosed", () => {
        const p = parser("buffer")
        p.push(Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"))
        expectThrows(() => p.eof(), "after 3 of 10 body bytes")
        const q = parser("buffer")
        expectThrows(() => q.eof(), "before answering")
        let caught: any
        try {
            q.eof()
        } catch (e) {
            caught = e
        }
        expect(isNetError(caught, "ConnectionClosedError")).toBe(true)
        expectEqual(errorName(caught), "ConnectionClosedError")
    })
    test("discard mode counts without keeping; prefix mode keeps the first bytes", () => {
        const f = FIXTURES[2]
        const d = parser("discard")
        d.push(Buffer.from(f.raw))
        expectEqual(d.bodyBytes, f.bodyTo - f.bodyFrom)
        expectEqual(d.body().length, 0)
        const p = parser("prefix", 0, 30)
        p.push(Buffer.from(f.raw))
        expectEqual(p.body().toString(), f.raw.slice(f.bodyFrom, f.bodyFrom + 30))
        expectEqual(p.truncated, true)
    })
    test("buffer mode cap: Content-Length over it fails at the headers, chunked as it grows", () => {
        let e: any
        try {
            parser("buffer", 100).push(Buffer.from(FIXTURES[1].raw))
        } catch (x) {
            e = x
        }
        expect(isNetError(e, "BodyTooLargeError")).toBe(true)
        expectContains(e.message, "Content-Length 833 exceeds the 100-byte cap")
        e = undefined
        try {
            parser("buffer", 1024).push(Buffer.from(FIXTURES[2].raw))
        } catch (x) {
            e = x
        }
        expectEqual(e.name, "BodyTooLargeError")
        expectContains(e.message, "k3s.test:6443")
    })
    test("a header section over 4 KB is refused", () => {
        let big = "HTTP/1.1 200 OK\r\n"
        for (let i = 0; i < 100; i++) big += `X-Filler-${i}: 0123456789012345678901234567890123456789\r\n`
        expectThrows(() => parser("buffer").push(Buffer.from(big)), "header section exceeds 4096 bytes")
    })
    test("garbage, bad status codes and bad Content-Length are BadResponse", () => {
        refuses("SSH-2.0-OpenSSH\r\n\r\n", "not an HTTP/1.x status line")
        refuses("HTTP/1.1 2x0 OK\r\n\r\n", "bad status code")
        refuses("HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n", "bad Content-Length")
        refuses("HTTP/1.1 200 OK\r\nbroken\r\n\r\n", "without a name")
    })
    test("a 4 KB header section of short lines is refused at 100 lines (opcode watchdog)", () => {
        // fuzz finding: 1,300 "a:" lines under the 4 KB cap were an InfiniteLoop panic in parseHead
        const lines = "HTTP/1.1 200 OK\r\n" + repeat("a:\n", 3000) + "\r\n"
        expectThrows(() => parser("discard").push(Buffer.from(lines)), "more than 100 header lines")
        let ok = "HTTP/1.1 200 OK\r\n"
        for (let i = 0; i < 98; i++) ok += "a: 1\r\n"
        const p = parser("discard")
        p.push(Buffer.from(ok + "Content-Length: 0\r\n\r\n"))
        expectEqual(p.done, true)
        expectEqual(p.headers.get("a").length, 98 * 3 - 2)
    })
    test("more than 100 trailer lines are refused", () => {
        const t = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + repeat("t:1\n", 404) + "\r\n"
        expectThrows(() => parser("discard").push(Buffer.from(t)), "more than 100 trailer lines")
    })
    test("endless 100 Continue: refused after 5 interim responses", () => {
        const five = repeat("HTTP/1.1 100 Continue\r\n\r\n", 25 * 5)
        const p = parser("buffer")
        p.push(Buffer.from(five + "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
        expectEqual(p.status, 200)
        expectThrows(() => parser("buffer").push(Buffer.from(five + "HTTP/1.1 103 Early Hints\r\n\r\n")), "more than 5 interim (1xx) responses")
    })
    test("NUL, bare CR and whitespace before the colon are refused", () => {
        refuses("HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n", "NUL or bare CR")
        refuses("HTTP/1.1 200 OK\r\nX: a\rContent-Length: 0\r\n\r\n", "NUL or bare CR")
        refuses("HTTP/1.1 200 OK\rX\r\n\r\n", "NUL or bare CR")
        refuses("HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\nhello", "whitespace before the colon")
    })
    test("after an error the parser refuses more input with the same error", () => {
        // fuzz finding: after a bad header section the parser took the next bytes as a new response
        const p = parser("buffer")
        let first: any
        try {
            p.push(Buffer.from("HTTP/1.1 2x0 OK\r\n\r\n"))
        } catch (e) {
            first = e
        }
        expectEqual(first.name, "BadResponseError")
        let again: any
        try {
            p.push(Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
        } catch (e) {
            again = e
        }
        expect(again === first).toBe(true)
        expectEqual(p.done, false)
        const q = parser("buffer", 4)
        expectThrows(() => q.push(Buffer.from("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n")), "4-byte cap")
        expectThrows(() => q.push(Buffer.from("0\r\n\r\n")), "4-byte cap")
        expectThrows(() => q.eof(), "4-byte cap")
    })
    test("100 Continue is skipped", () => {
        const p = parser("buffer")
        p.push(Buffer.from("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}"))
        expectEqual(p.status, 201)
        expectEqual(p.statusText, "Created")
        expectEqual(p.body().toString(), "{}")
    })
})

describe("transport errors", () => {
    test("instanceof, stable names, messages with where and phase", () => {
        const e = new NetError("TimeoutError", "h:1", "body", "no answer within 10000 ms")
        expect(e instanceof NetError).toBe(true)
        expect(e instanceof Error).toBe(true)
        expectEqual(e.name, "TimeoutError")
        expectEqual(e.message, "TimeoutError: h:1: body: no answer within 10000 ms")
        expect(isNetError(e, "TimeoutError")).toBe(true)
        expect(isNetError(e, "BadResponseError")).toBe(false)
        expect(isNetError(new Error("x"))).toBe(false)
        expectNotContains(e.message, "Bearer")
    })
})
