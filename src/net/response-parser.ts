// Incremental HTTP/1.1 response parser. Bytes go in through push() in
// whatever pieces the socket delivers; the parser never holds more than the
// header section (at most maxHead bytes) plus what the body mode keeps:
//   buffer  - the whole body, up to maxBody (over it: BodyTooLargeError)
//   discard - nothing: the body is counted and dropped as it streams past
//   prefix  - the first prefixBytes bytes; the rest is counted and dropped
//   stream  - a 2xx body goes to the sink a piece at a time, never kept;
//             any other body is kept as in prefix mode (a Status to log)
// Framing: Content-Length, chunked (sizes in either case, extensions,
// trailers), bodiless (HEAD, 1xx, 204, 304), and close-delimited bodies.
// After an error the parser refuses more input with that same error: the
// stream is out of step and a new response needs a new parser.
import { NetError } from "./errors"
import { hasToken, listItems, trimOws } from "./header-values"
import { Headers } from "./headers"

export type BodyMode = "buffer" | "discard" | "prefix" | "stream"

/** Takes body bytes buf[from..to) as they arrive; must not throw. */
export type BodySink = (buf: Buffer, from: number, to: number) => void

export const MAX_HEAD_BYTES = 4096
const HEAD_START_BYTES = 512
export const DEFAULT_MAX_BODY = 8192
/** Longest chunk size line or trailer line. */
export const MAX_LINE = 1024
/**
 * Header (and trailer) lines per section. A line costs the VM a few hundred
 * opcodes to split and store: a 4 KB section of "a:" lines would trip the
 * 128k-opcode watchdog in one slice, 100 lines stay far below it.
 */
const MAX_HEAD_LINES = 100
/** Interim (1xx) answers before the real one; Go's client allows 5 as well. */
const MAX_INTERIM = 5
/**
 * The most bytes to push in one fiber slice. Tiny chunks cost the VM up to
 * ~100 opcodes per byte: a 1.8 KB read of "1\r\nx\r\n" tripped the watchdog.
 */
export const FEED_BYTES = 512

export interface ParserOptions {
    /** Request method: a HEAD response has no body. */
    method: string
    mode: BodyMode
    /** buffer mode: the most body bytes kept. */
    maxBody?: number
    /** prefix mode: how many leading body bytes to keep. */
    prefixBytes?: number
    /** stream mode: where a 2xx body goes. */
    sink?: BodySink
    /** "host:port METHOD path", for error messages. */
    where: string
    maxHead?: number
}

const S_HEAD = 0
const S_LENGTH = 1
const S_CHUNK_SIZE = 2
const S_CHUNK_DATA = 3
const S_CHUNK_END = 4
const S_TRAILER = 5
const S_UNTIL_CLOSE = 6
const S_DONE = 7

const LF = 10
const CR = 13

export type Framing = "none" | "length" | "chunked" | "close"

function hexDigit(c: number): number {
    if (c >= 48 && c <= 57) return c - 48
    if (c >= 97 && c <= 102) return c - 87
    if (c >= 65 && c <= 70) return c - 55
    return -1
}

function isDigits(s: string): boolean {
    if (s.length === 0 || s.length > 15) return false
    for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i)
        if (c < 48 || c > 57) return false
    }
    return true
}

/** Printable excerpt of untrusted text for an error message. */
function excerpt(s: string): string {
    let r = ""
    const n = s.length < 40 ? s.length : 40
    for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i)
        r += c >= 32 && c < 127 ? s[i] : "?"
    }
    return JSON.stringify(r)
}

export class ResponseParser {
    status = 0
    statusText = ""
    /** "1.1" or "1.0". */
    httpVersion = ""
    headers: Headers = new Headers()
    /** May the connection carry another request after this one? */
    keepAlive = true
    framing: Framing = "none"
    done = false
    /** Decoded body bytes seen (kept or not). */
    bodyBytes = 0
    /** prefix mode: the body was longer than what was kept. */
    truncated = false
    /** Content-Length of the response, -1 when not given. */
    contentLength = -1

    private state = S_HEAD
    private head: Buffer = null
    private headLen = 0
    private scanFrom = 0
    private remaining = 0
    private line = ""
    private trailerBytes = 0
    /** Lines of the header (or trailer) section so far. */
    private lines = 0
    private interim = 0
    private failed: NetError = null
    // kept body bytes: one buffer grown by doubling (a list of socket reads
    // would cost an object per read: 128-byte reads on the ESP32)
    private acc: Buffer = null
    private kept = 0
    private opts: ParserOptions
    private maxBody: number
    private maxHead: number

    constructor(opts: ParserOptions) {
        this.opts = opts
        this.maxBody = opts.maxBody > 0 ? opts.maxBody : DEFAULT_MAX_BODY
        this.maxHead = opts.maxHead > 0 ? opts.maxHead : MAX_HEAD_BYTES
    }

    /** True once the status line and headers have been read. */
    headComplete(): boolean {
        return this.state !== S_HEAD
    }

    /**
     * Feeds buf[from..to) (default: all of it); returns how many were used. Fewer than buf.length only
     * when the response ended inside buf (the rest belongs to no request).
     * Throws BadResponseError or BodyTooLargeError, and after any error that same one again.
     * At most FEED_BYTES per fiber slice.
     */
    push(buf: Buffer, from?: number, to?: number): number {
        if (this.failed) throw this.failed
        const end = to === undefined ? buf.length : to
        const start = from === undefined ? 0 : from
        let pos = start
        while (pos < end && this.state !== S_DONE) {
            const st = this.state
            if (st === S_HEAD) {
                pos = this.pushHead(buf, pos, end)
            } else if (st === S_LENGTH) {
                let n = end - pos
                if (n > this.remaining) n = this.remaining
                this.take(buf, pos, n)
                pos += n
                this.remaining -= n
                if (this.remaining === 0) this.finish()
            } else if (st === S_CHUNK_DATA) {
                let n = end - pos
                if (n > this.remaining) n = this.remaining
                this.take(buf, pos, n)
                pos += n
                this.remaining -= n
                if (this.remaining === 0) {
                    this.state = S_CHUNK_END
                    this.line = ""
                }
            } else if (st === S_CHUNK_END) {
                // CRLF (or a bare LF) after the chunk data
                const c = buf[pos]
                if (c === CR && this.line === "") {
                    this.line = "\r"
                    pos++
                } else if (c === LF) {
                    this.line = ""
                    this.state = S_CHUNK_SIZE
                    pos++
                } else throw this.bad("body", "chunk data not followed by CRLF")
            } else if (st === S_CHUNK_SIZE || st === S_TRAILER) {
                const nl = buf.indexOf(LF, pos, end)
                const stop = nl < 0 ? end : nl
                if (stop > pos) this.line += buf.slice(pos, stop).toString()
                if (this.line.length > MAX_LINE)
                    throw this.bad("body", st === S_CHUNK_SIZE ? "chunk size line too long" : "trailer line too long")
                if (nl < 0) {
                    pos = end
                } else {
                    pos = nl + 1
                    let line = this.line
                    this.line = ""
                    if (line.length && line.charCodeAt(line.length - 1) === CR) line = line.slice(0, line.length - 1)
                    if (st === S_CHUNK_SIZE) this.chunkSize(line)
                    else if (line.length === 0) this.finish()
                    else {
                        if (++this.lines > MAX_HEAD_LINES) throw this.bad("body", `more than ${MAX_HEAD_LINES} trailer lines`)
                        this.trailerBytes += line.length
                        if (this.trailerBytes > this.maxHead) throw this.bad("body", "trailers too long")
                    }
                }
            } else if (st === S_UNTIL_CLOSE) {
                this.take(buf, pos, end - pos)
                pos = end
            }
        }
        return pos - start
    }

    /** The server closed the connection: completes a close-delimited body, else throws. */
    eof() {
        if (this.failed) throw this.failed
        if (this.state === S_DONE) return
        if (this.state === S_UNTIL_CLOSE) {
            this.finish()
            return
        }
        const where = this.opts.where
        if (this.state === S_HEAD)
            throw this.fail(
                new NetError(
                    "ConnectionClosedError",
                    where,
                    "headers",
                    this.headLen ? `server closed the connection after ${this.headLen} header bytes` : "server closed the connection before answering"
                )
            )
        const expect = this.framing === "length" ? ` of ${this.contentLength}` : " (chunked)"
        throw this.fail(new NetError("ConnectionClosedError", where, "body", `server closed the connection after ${this.bodyBytes}${expect} body bytes`))
    }

    /** buffer and prefix modes: the kept body bytes. */
    body(): Buffer {
        if (!this.acc) return Buffer.alloc(0)
        if (this.acc.length !== this.kept) this.acc = this.acc.slice(0, this.kept)
        return this.acc
    }

    private fail(e: NetError) {
        this.failed = e
        return e
    }

    private bad(phase: "headers" | "body", detail: string) {
        return this.fail(new NetError("BadResponseError", this.opts.where, phase, detail))
    }

    private tooLarge(detail: string) {
        return this.fail(new NetError("BodyTooLargeError", this.opts.where, "body", detail))
    }

    private finish() {
        this.state = S_DONE
        this.done = true
    }

    private take(buf: Buffer, pos: number, n: number) {
        if (n <= 0) return
        this.bodyBytes += n
        let mode = this.opts.mode
        if (mode === "discard") return
        if (mode === "stream") {
            if (this.status >= 200 && this.status < 300) {
                this.opts.sink(buf, pos, pos + n)
                return
            }
            mode = "prefix"
        }
        let keep = n
        if (mode === "prefix") {
            const room = (this.opts.prefixBytes > 0 ? this.opts.prefixBytes : 0) - this.kept
            if (room < n) {
                this.truncated = true
                keep = room < 0 ? 0 : room
            }
        } else if (this.kept + n > this.maxBody) {
            throw this.tooLarge(`body exceeds the ${this.maxBody}-byte cap (${this.kept + n} bytes so far)`)
        }
        if (keep <= 0) return
        const need = this.kept + keep
        if (!this.acc || this.acc.length < need) {
            // exact when the length is known, else doubling up to the cap
            const cap = mode === "prefix" ? this.opts.prefixBytes : this.maxBody
            let size = this.contentLength > 0 ? this.contentLength : this.acc ? this.acc.length * 2 : 512
            if (size > cap) size = cap
            if (size < need) size = need
            const grown = Buffer.alloc(size)
            if (this.acc) grown.blitAt(0, this.acc, 0, this.kept)
            this.acc = grown
        }
        this.acc.blitAt(this.kept, buf, pos, keep)
        this.kept = need
    }

    private chunkSize(line: string) {
        let size = 0
        let digits = 0
        let i = 0
        for (; i < line.length; i++) {
            const d = hexDigit(line.charCodeAt(i))
            if (d < 0) break
            size = size * 16 + d
            digits++
            if (size > 0xfffffff) throw this.bad("body", "chunk size over 256 MB")
        }
        if (digits === 0) throw this.bad("body", `bad chunk size line ${excerpt(line)}`)
        // after the digits: nothing, whitespace or a ";extension"
        if (i < line.length) {
            const c = line.charCodeAt(i)
            if (c !== 59 && c !== 32 && c !== 9) throw this.bad("body", `bad chunk size line ${excerpt(line)}`)
        }
        if (size === 0) this.state = S_TRAILER
        else {
            this.remaining = size
            this.state = S_CHUNK_DATA
        }
    }

    private pushHead(buf: Buffer, pos: number, end: number): number {
        const before = this.headLen
        let n = end - pos
        if (n > this.maxHead - before) n = this.maxHead - before
        this.growHead(before + n)
        this.head.blitAt(before, buf, pos, n)
        this.headLen = before + n
        const h = this.head
        let i = h.indexOf(LF, this.scanFrom, this.headLen)
        let headEnd = -1
        while (i >= 0) {
            if ((i >= 1 && h[i - 1] === LF) || (i >= 2 && h[i - 1] === CR && h[i - 2] === LF)) {
                headEnd = i + 1
                break
            }
            if (++this.lines > MAX_HEAD_LINES) throw this.bad("headers", `more than ${MAX_HEAD_LINES} header lines`)
            i = h.indexOf(LF, i + 1, this.headLen)
        }
        if (headEnd < 0) {
            if (this.headLen >= this.maxHead)
                throw this.bad("headers", `header section exceeds ${this.maxHead} bytes`)
            this.scanFrom = this.headLen
            return pos + n
        }
        const text = h.slice(0, headEnd).toString()
        // the bytes of buf after the header section are not ours yet
        const used = headEnd - before
        this.head = null
        this.headLen = 0
        this.scanFrom = 0
        this.lines = 0
        this.parseHead(text)
        return pos + used
    }

    /**
     * The header buffer grows on demand up to maxHead: a kube-apiserver head
     * is ~350 B, and a fixed 4 KB per reply was the largest allocation of a
     * request in the 64 KB heap.
     */
    private growHead(need: number) {
        const have = this.head ? this.head.length : 0
        if (need <= have) return
        let size = have ? have : HEAD_START_BYTES
        while (size < need) size *= 2
        if (size > this.maxHead) size = this.maxHead
        const grown = Buffer.alloc(size)
        if (this.head) grown.blitAt(0, this.head, 0, this.headLen)
        this.head = grown
    }

    private parseHead(text: string) {
        // lines found with the native indexOf: String.split is slow bytecode
        let nl = text.indexOf("\n")
        let status = text.slice(0, nl)
        if (status.length && status.charCodeAt(status.length - 1) === CR) status = status.slice(0, status.length - 1)
        if (!status.startsWith("HTTP/1.") || status.length < 12 || status.charCodeAt(8) !== 32)
            throw this.bad("headers", `not an HTTP/1.x status line: ${excerpt(status)}`)
        const code = status.slice(9, 12)
        if (!isDigits(code) || (status.length > 12 && status.charCodeAt(12) !== 32))
            throw this.bad("headers", `bad status code in ${excerpt(status)}`)
        // NUL or a CR inside a line: a recipient may not guess where fields end (RFC 9112 section 2.2)
        if (text.indexOf("\0") >= 0 || status.indexOf("\r") >= 0) throw this.bad("headers", "NUL or bare CR in the header section")
        const headers = new Headers()
        while (nl >= 0 && nl + 1 < text.length) {
            const from = nl + 1
            nl = text.indexOf("\n", from)
            let l = text.slice(from, nl < 0 ? text.length : nl)
            if (l.length && l.charCodeAt(l.length - 1) === CR) l = l.slice(0, l.length - 1)
            if (l.length === 0) continue
            const c0 = l.charCodeAt(0)
            if (c0 === 32 || c0 === 9) throw this.bad("headers", "folded header line")
            if (l.indexOf("\r") >= 0) throw this.bad("headers", "NUL or bare CR in the header section")
            const colon = l.indexOf(":")
            if (colon <= 0) throw this.bad("headers", `header line without a name: ${excerpt(l)}`)
            // "Content-Length : 5" is a field some peers honour and others drop (RFC 9112 section 5.1)
            const c1 = l.charCodeAt(colon - 1)
            if (c1 === 32 || c1 === 9) throw this.bad("headers", `whitespace before the colon: ${excerpt(l)}`)
            headers.append(trimOws(l.slice(0, colon)), trimOws(l.slice(colon + 1)))
        }
        const st = parseInt(code)
        if (st >= 100 && st < 200) {
            // 100 Continue and friends: an interim answer, the real one follows
            if (st === 101) throw this.bad("headers", "unexpected 101 Switching Protocols")
            if (++this.interim > MAX_INTERIM) throw this.bad("headers", `more than ${MAX_INTERIM} interim (1xx) responses`)
            return
        }
        this.status = st
        this.statusText = status.length > 13 ? status.slice(13) : ""
        this.httpVersion = status.slice(5, 8)
        this.headers = headers
        const conn = headers.get("connection")
        this.keepAlive = this.httpVersion === "1.0" ? hasToken(conn, "keep-alive") : !hasToken(conn, "close")
        this.frame()
    }

    private frame() {
        const h = this.headers
        const method = this.opts.method.toUpperCase()
        if (method === "HEAD" || this.status === 204 || this.status === 304) {
            this.framing = "none"
            this.finish()
            return
        }
        const te = h.get("transfer-encoding")
        const cl = h.get("content-length")
        if (te !== null) {
            const codings = listItems(te.toLowerCase())
            if (codings[codings.length - 1] === "chunked") {
                this.framing = "chunked"
                this.state = S_CHUNK_SIZE
                this.line = ""
                // a message with both is suspicious: do not reuse the connection
                if (cl !== null) this.keepAlive = false
            } else {
                this.framing = "close"
                this.keepAlive = false
                this.state = S_UNTIL_CLOSE
            }
            return
        }
        if (cl !== null) {
            // repeated identical values ("5, 5") are allowed
            const vals = listItems(cl)
            const first = vals[0]
            for (let i = 0; i < vals.length; i++)
                if (!isDigits(vals[i]) || vals[i] !== first)
                    throw this.bad("headers", `bad Content-Length ${excerpt(cl)}`)
            const n = parseInt(first)
            this.contentLength = n
            this.framing = "length"
            if (this.opts.mode === "buffer" && n > this.maxBody)
                throw this.tooLarge(`Content-Length ${n} exceeds the ${this.maxBody}-byte cap`)
            if (n === 0) this.finish()
            else {
                this.remaining = n
                this.state = S_LENGTH
            }
            return
        }
        this.framing = "close"
        this.keepAlive = false
        this.state = S_UNTIL_CLOSE
    }
}
