// Fuzz target: the HTTP response parser in every body mode. Each case is a
// response (a recorded exchange mutated, or one assembled from hostile
// parts) parsed twice: in one push, and split at random points. Properties:
// only BadResponse/BodyTooLarge from push and ConnectionClosed from eof;
// every push uses all its bytes unless the response ended; held memory within
// the caps; the split parse ends exactly as the whole one; after an error the
// parser refuses more input with the same error.
import * as ds from "@devicescript/core"
import { FIXTURES } from "../net/fixtures"
import { BodyMode, FEED_BYTES, MAX_HEAD_BYTES, MAX_LINE, ResponseParser } from "../../../src/net/response-parser"
import { isNetError } from "../../../src/net/errors"
import { FuzzTarget, Rng, check } from "./rng"
import { hex as hexNumber, repeat } from "../net/fake-wire"

const CHUNKY =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
    "5\r\nhello\r\nA;name=value\r\n, chunked!\r\n1b ; ext\r\n world, in upper/lower hex \r\n0;last\r\nX-Trailer: yes\r\n\r\n"

/** Valid responses the mutations start from: the recorded ones and the framings they lack. */
const VALID = [
    FIXTURES[0].raw,
    FIXTURES[1].raw,
    FIXTURES[2].raw,
    FIXTURES[3].raw,
    CHUNKY,
    "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nclose-delimited body",
    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}",
    "HTTP/1.1 204 No Content\r\nDate: Sun, 29 Nov 2026 02:24:31 GMT\r\n\r\n",
    "HTTP/1.1 200 OK\nContent-Length: 3\n\nabc",
]

/** Bytes that mean something to a parser, inserted or written over the input. */
const TOKENS = [
    "\r\n", "\n", "\r", "\0", ":", " ", "\t", ";", ",", "0", "1", "f", "A", "-", "\r\n\r\n", "0\r\n\r\n",
    "fffffffffffff", "-1", "99999999999999999999", "00000000000000001",
    "Transfer-Encoding: chunked\r\n", "Transfer-Encoding: gzip\r\n", "Transfer-Encoding: chunked, gzip\r\n",
    "Content-Length: 0\r\n", "Content-Length: -5\r\n", "Content-Length: 18446744073709551617\r\n",
    "Content-Length: 5, 5\r\n", "Content-Length : 5\r\n", "Connection: close\r\n", "Connection: keep-alive\r\n",
    " folded\r\n", "\tfolded\r\n", "HTTP/1.1 100 Continue\r\n\r\n", "HTTP/1.1 101 Switching\r\n\r\n",
    "__proto__: x\r\n", "constructor: y\r\n", "X: \xe9\u2603\r\n",
]
/** Not UTF-8: the parser turns header bytes into strings. */
const RAW_TOKENS = [hex`ff`, hex`c3`, hex`e2 82`, hex`80 80 80`, hex`f0 9f 98`, hex`ed a0 80`]

function token(rng: Rng): Buffer {
    return rng.oneIn(4) ? rng.pick(RAW_TOKENS) : Buffer.from(rng.pick(TOKENS))
}

function splice(b: Buffer, at: number, del: number, ins: Buffer): Buffer {
    if (at > b.length) at = b.length
    if (at + del > b.length) del = b.length - at
    const r = Buffer.alloc(b.length - del + ins.length)
    r.blitAt(0, b, 0, at)
    r.blitAt(at, ins, 0, ins.length)
    r.blitAt(at + ins.length, b, at + del, b.length - at - del)
    return r
}

/** Bytes flipped, inserted, deleted, truncated or duplicated; one to four times. */
function mutate(rng: Rng, b: Buffer): Buffer {
    const n = 1 + rng.int(4)
    for (let i = 0; i < n; i++) {
        const at = rng.int(b.length + 1)
        const op = rng.int(6)
        if (op === 0) {
            const one = Buffer.alloc(1)
            one[0] = rng.oneIn(2) ? rng.int(256) : rng.pick([0, 9, 10, 13, 32, 48, 58, 59, 70, 102, 127, 128, 255])
            b = splice(b, at, 1, one)
        } else if (op === 1 || op === 2) b = splice(b, at, 0, token(rng))
        else if (op === 3) b = splice(b, at, 1 + rng.int(rng.oneIn(4) ? 200 : 8), Buffer.alloc(0))
        else if (op === 4) b = b.slice(0, at)
        else {
            const len = 1 + rng.int(rng.oneIn(4) ? 400 : 16)
            b = splice(b, rng.int(b.length + 1), 0, b.slice(at, at + len))
        }
    }
    return b
}

const STATUS_LINES = [
    "HTTP/1.1 200 OK", "HTTP/1.0 200 OK", "HTTP/1.1 404 Not Found", "HTTP/1.1 204 No Content",
    "HTTP/1.1 304 Not Modified", "HTTP/1.1 999 Odd", "HTTP/1.1 200", "HTTP/1.1 200 ", "HTTP/2 200",
    "", "HTTP/1.1 20", "http/1.1 200 OK", "HTTP/1.1 200OK", "HTTP/1.1  200 OK", "HTTP/1.1 -20 OK",
]

function hexSize(rng: Rng, n: number): string {
    const s = rng.oneIn(3) ? hexNumber(n).toUpperCase() : hexNumber(n)
    return rng.oneIn(5) ? "000" + s : s
}

/** A response assembled from the parts the issue lists: framing conflicts, limits, control bytes, 1xx. */
function assemble(rng: Rng): string {
    const eol = rng.oneIn(4) ? "\n" : "\r\n"
    let s = ""
    const interim = rng.oneIn(4) ? rng.int(8) : 0
    for (let i = 0; i < interim; i++) s += "HTTP/1.1 " + rng.pick(["100 Continue", "102 Processing", "103 Early Hints"]) + eol + eol
    s += (rng.oneIn(8) ? rng.pick(STATUS_LINES) : "HTTP/1.1 200 OK") + eol
    const chunked = rng.oneIn(2)
    if (chunked) s += rng.pick(["Transfer-Encoding: chunked", "transfer-encoding: CHUNKED", "Transfer-Encoding: gzip, chunked"]) + eol
    const body = repeat("x", rng.int(rng.oneIn(8) ? 3000 : 300))
    if (!chunked || rng.oneIn(4)) {
        const cl = rng.oneIn(3) ? rng.pick(["-1", "999999999999999", "1e3", "0x10", "", " 7", "4294967296", "12, 13"]) : "" + body.length
        if (!rng.oneIn(6)) s += "Content-Length: " + cl + eol
    }
    const headers = rng.oneIn(10) ? 90 + rng.int(20) : rng.int(5)
    // one long line at most: the whole message has to fit the VM's 64 KB heap twice
    const long = rng.oneIn(8) ? rng.int(headers) : -1
    for (let i = 0; i < headers; i++) {
        const k = rng.int(10)
        if (i === long) s += "X-Long: " + repeat("v", rng.pick([1000, 4000, 4070, 4096, 5000])) + eol
        else if (k === 1) s += rng.pick([" folded", "X-Nul: a\0b", "X-Cr: a\rb", "X-Space : v", ": novalue", "novalue"]) + eol
        else if (k === 2) s += rng.pick(["Connection: close", "Connection: keep-alive", "Date: Sun, 29 Nov 2026 02:24:31 GMT"]) + eol
        else s += `X-H${i}: v${rng.int(1000)}` + eol
    }
    s += eol
    if (!chunked) return s + body
    let left = body.length
    while (left > 0) {
        let n = 1 + rng.int(rng.oneIn(3) ? 4 : 200)
        if (n > left) n = left
        left -= n
        const size = rng.oneIn(30) ? rng.pick(["fffffffffff", "10000000", "-1", "", "g", "1 1"]) : hexSize(rng, n)
        const ext = rng.oneIn(5) ? rng.pick([";a=b", " ; x", ";" + repeat("e", 1100), "\t"]) : ""
        s += size + ext + eol + repeat("y", n) + eol
    }
    s += "0" + eol
    const trailers = rng.oneIn(10) ? 95 + rng.int(10) : rng.int(3)
    for (let i = 0; i < trailers; i++) s += `T${i}: t` + eol
    return s + (rng.oneIn(10) ? "" : eol)
}

interface Options {
    mode: BodyMode
    method: string
    maxBody: number
    prefixBytes: number
    maxHead: number
}

function options(rng: Rng): Options {
    return {
        mode: rng.pick<BodyMode>(["buffer", "prefix", "discard"]),
        method: rng.oneIn(10) ? "HEAD" : "GET",
        maxBody: rng.pick([0, 16384, 1024, 100]),
        prefixBytes: rng.pick([0, 1, 100, 512]),
        maxHead: rng.pick([0, 0, 0, 64, 300]),
    }
}

function newParser(o: Options) {
    return new ResponseParser({ method: o.method, mode: o.mode, maxBody: o.maxBody, prefixBytes: o.prefixBytes, maxHead: o.maxHead, where: "fuzz:1 GET /" })
}

function typed(e: any, eof: boolean): boolean {
    return eof ? isNetError(e, "ConnectionClosedError") : isNetError(e, "BadResponseError") || isNetError(e, "BodyTooLargeError")
}

/** What a parse came to, as one comparable string. */
function outcome(p: ResponseParser, error: any, used: number): string {
    // where in the stream an error surfaces depends on the reads; which error, and in which phase, does not
    if (error) return `error ${error.name} in ${error.message.split(": ")[2]}`
    return [p.status, p.httpVersion, p.done, p.framing, p.keepAlive, p.bodyBytes, p.truncated, p.contentLength, used,
        p.headers.get("content-type"), p.headers.get("date"), p.body().toString("hex")].join("|")
}

/** What the parser holds stays within its caps. */
function checkHeld(p: ResponseParser, o: Options) {
    const q: any = p
    const maxHead = o.maxHead > 0 ? o.maxHead : MAX_HEAD_BYTES
    check(!q.head || q.head.length <= maxHead, `header buffer ${q.head && q.head.length} over ${maxHead}`)
    check(q.line.length <= MAX_LINE, `line buffer ${q.line.length} over ${MAX_LINE}`)
    const cap = o.mode === "discard" ? 0 : o.mode === "prefix" ? o.prefixBytes : o.maxBody > 0 ? o.maxBody : 8192
    check(!q.acc || q.acc.length <= cap, `body buffer ${q.acc && q.acc.length} over ${cap} (${o.mode})`)
}

/**
 * Pushes the pieces between the cuts (or of `step` bytes each) in order,
 * checking each push; then eof if the response is open. No slice gets more
 * than the parser's FEED_BYTES (its contract with the connection) or 64 pushes.
 */
async function parse(raw: Buffer, cuts: number[], step: number, o: Options): Promise<string> {
    const p = newParser(o)
    let used = 0
    let error: any = undefined
    let inEof = false
    try {
        let from = 0
        let slice = 0
        let pushes = 0
        for (let i = 0; i <= cuts.length && !p.done; ) {
            let to = i < cuts.length ? cuts[i] : raw.length
            if (to - from > step) to = from + step
            else i++
            if (slice + to - from > FEED_BYTES || ++pushes > 64) {
                await ds.sleep(0)
                slice = 0
                pushes = 0
            }
            slice += to - from
            const n = p.push(raw, from, to)
            check(n >= 0 && n <= to - from, `push of ${to - from} bytes returned ${n}`)
            check(n === to - from || p.done, `push used ${n} of ${to - from} bytes and is not done`)
            checkHeld(p, o)
            used += n
            from = to
        }
        if (!p.done) {
            inEof = true
            p.eof()
            check(p.done, "eof returned without completing the response")
        }
    } catch (e: any) {
        if (!typed(e, inEof)) throw new Error(`untyped error ${e && e.name}: ${e && e.message}`)
        error = e
        let again: any = undefined
        try {
            p.push(Buffer.from("x"))
        } catch (e2: any) {
            again = e2
        }
        check(again === e, `after ${e.name} a push ${again ? "threw " + again.name : "was accepted"}`)
    }
    return outcome(p, error, used)
}

function cutsOf(rng: Rng, len: number): number[] {
    const cuts: number[] = []
    const n = rng.int(8)
    for (let i = 0; i < n; i++) cuts.push(rng.int(len + 1))
    cuts.sort((a, b) => a - b)
    return cuts
}

export const httpTarget: FuzzTarget = {
    name: "http",
    run: async (rng: Rng) => {
        const kind = rng.int(3)
        let raw = kind === 2 ? Buffer.from(assemble(rng)) : Buffer.from(rng.pick(VALID))
        if (kind === 1) raw = mutate(rng, raw)
        const o = options(rng)
        const whole = await parse(raw, [], FEED_BYTES, o)
        if (kind === 0 && o.maxBody === 16384 && o.maxHead === 0)
            check(whole.indexOf("error") !== 0, `a valid response failed: ${whole}`)
        // a few bytes per read (short responses: a push costs the VM ~0.2 ms), or cut at random points
        const split = raw.length <= 400 && rng.oneIn(4) ? await parse(raw, [], 1 + rng.int(3), o) : await parse(raw, cutsOf(rng, raw.length), FEED_BYTES, o)
        check(split === whole, `split parse ${split.slice(0, 120)} differs from whole ${whole.slice(0, 120)}`)
    },
}

