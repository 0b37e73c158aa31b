// One keep-alive HTTP/1.1 connection: opened on first use, reused, reopened
// after the server closed it or after any error. exchange() runs one request
// under one deadline that covers connect, send and receive. Callers
// serialize exchanges (see client.ts).
import * as ds from "@devicescript/core"
import { TransportCounters } from "./counters"
import { NetError, Phase, isNetError } from "./errors"
import { buildRequestHead } from "./request"
import { BodyMode, BodySink, FEED_BYTES, ResponseParser } from "./response-parser"
import { Dialer, MAX_WRITE, Wire } from "./wire"

/**
 * The head and a string body go out in writes of up to this size, pieces
 * joined while they fit: a small request is one write (one TLS record), and
 * no string longer than this is made to join them (a piece longer than
 * this is written as it is). The heap is first-fit and never compacted:
 * in the pod walk, with 16 KB free, it often has no 1 KB hole left but
 * several of 512 B (measured with the simulator's heap dumper; 1 KB groups
 * died there in sendText). A record more costs 22 B on the wire.
 */
const WRITE_GROUP_BYTES = 512

/** A request body: a string, pieces of one written in order (never joined whole), or bytes. */
export type RequestBody = Buffer | string | string[]

export interface ExchangeRequest {
    method: string
    path: string
    headers?: Record<string, string>
    /**
     * A string goes out as its UTF-8 bytes. A function is called for the
     * body when the request is about to go out (again on a retry): the body
     * is not built while the request waits its turn, and is not kept while
     * the reply comes in.
     */
    body?: RequestBody | (() => string | string[])
    mode: BodyMode
    maxBody?: number
    prefixBytes?: number
    sink?: BodySink
    timeoutMs: number
}

interface Framed {
    /** The head and a string body's pieces. */
    text: string[]
    bytes: Buffer
}

export interface ExchangeResult {
    parser: ResponseParser
    bytesIn: number
    bytesOut: number
    /** The request went over a connection opened for an earlier one. */
    reused: boolean
}

export interface Endpoint {
    host: string
    port: number
    tls: boolean
    token?: string
}

function lower(e: any): string {
    return ("" + (e && e.message)).toLowerCase()
}

/** Does a socket error message speak of TLS or certificates? */
export function looksLikeTls(msg: string): boolean {
    const m = msg.toLowerCase()
    return (
        m.indexOf("cert") >= 0 ||
        m.indexOf("ssl") >= 0 ||
        m.indexOf("tls") >= 0 ||
        m.indexOf("handshake") >= 0 ||
        m.indexOf("self-signed") >= 0 ||
        m.indexOf("self signed") >= 0 ||
        m.indexOf("verify") >= 0
    )
}

/** The socket layer's message without its "socket tls://h:p: " prefixes. */
function socketDetail(e: any): string {
    let m = "" + (e && e.message)
    for (;;) {
        const i = m.indexOf("://")
        if (i < 0) break
        const c = m.indexOf(": ", i)
        if (c < 0) break
        m = m.slice(c + 2)
    }
    return m
}

export class Connection {
    private wire: Wire = null
    private ep: Endpoint
    private dialer: Dialer
    readonly counters: TransportCounters

    constructor(ep: Endpoint, dialer: Dialer, counters: TransportCounters) {
        this.ep = ep
        this.dialer = dialer
        this.counters = counters
    }

    /** Closes the connection now; the next request opens a new one. */
    async drop() {
        const w = this.wire
        this.wire = null
        if (w) {
            try {
                await w.close()
            } catch (e) {
                // already gone
            }
        }
    }

    private hostPort() {
        return `${this.ep.host}:${this.ep.port}`
    }

    private async open(where: string, deadline: number, timeoutMs: number) {
        const left = deadline - ds.millis()
        if (left <= 0) throw new NetError("TimeoutError", where, "connect", `deadline of ${timeoutMs} ms passed before connecting`)
        this.counters.connections++
        try {
            this.wire = await this.dialer.dial(this.ep.host, this.ep.port, this.ep.tls, left)
        } catch (e: any) {
            this.wire = null
            const msg = socketDetail(e)
            if (lower(e).indexOf("timeout") >= 0 || ds.millis() >= deadline)
                throw new NetError("TimeoutError", where, "connect", `no connection within ${timeoutMs} ms`)
            if (this.ep.tls && looksLikeTls(msg)) throw new NetError("TlsFailedError", where, "connect", msg)
            throw new NetError("ConnectFailedError", where, "connect", msg)
        }
    }

    private async sendAll(w: Wire, data: Buffer | string, where: string, deadline: number, timeoutMs: number) {
        const text = typeof data === "string"
        const bytes = text ? (data as string).byteLength : data.length
        // a string is cut by characters: at most MAX_WRITE bytes each, however many bytes a character takes
        const step = !text || bytes === data.length ? MAX_WRITE : MAX_WRITE >> 2
        for (let off = 0; off < data.length; off += step) {
            if (ds.millis() >= deadline) throw new NetError("TimeoutError", where, "send", `deadline of ${timeoutMs} ms passed while sending`)
            const end = off + step < data.length ? off + step : data.length
            const piece = off === 0 && end === data.length ? data : data.slice(off, end)
            try {
                await w.send(piece)
            } catch (e: any) {
                throw new NetError("ConnectionClosedError", where, "send", `write failed: ${socketDetail(e)}`)
            }
            this.counters.bytesOut += text ? (piece as string).byteLength : (piece as Buffer).length
        }
        return bytes
    }

    /** The request: its head and the body, which a function builds now. */
    private frame(req: ExchangeRequest, method: string): Framed {
        const b = req.body
        const body: RequestBody = typeof b === "function" ? (b as () => string | string[])() : (b as RequestBody)
        const bytes = body instanceof Buffer ? (body as Buffer) : null
        const text: string[] = [null]
        if (typeof body === "string") text.push(body as string)
        else if (Array.isArray(body)) text.pushRange(body as string[])
        let bodyLength = bytes ? bytes.length : 0
        for (let i = 1; i < text.length; i++) bodyLength += text[i].byteLength
        text[0] = buildRequestHead({
            method,
            path: req.path,
            host: this.ep.host,
            port: this.ep.port,
            tls: this.ep.tls,
            token: this.ep.token,
            headers: req.headers,
            bodyLength,
        })
        return { text, bytes }
    }

    /** Writes the pieces in order, joined into writes while they fit in WRITE_GROUP_BYTES; returns the bytes written. */
    private async sendText(w: Wire, pieces: string[], where: string, deadline: number, timeoutMs: number): Promise<number> {
        let sent = 0
        let group = ""
        for (const piece of pieces) {
            const n = piece.byteLength
            if (group && group.byteLength + n > WRITE_GROUP_BYTES) {
                sent += await this.sendAll(w, group, where, deadline, timeoutMs)
                group = ""
            }
            if (n > WRITE_GROUP_BYTES) sent += await this.sendAll(w, piece, where, deadline, timeoutMs)
            else group += piece
        }
        if (group) sent += await this.sendAll(w, group, where, deadline, timeoutMs)
        return sent
    }

    /** One request, one response, under one deadline. Throws a NetError; the connection is then dropped. */
    async exchange(req: ExchangeRequest): Promise<ExchangeResult> {
        const start = ds.millis()
        const deadline = start + req.timeoutMs
        const method = req.method ? req.method.toUpperCase() : "GET"
        const qi = req.path.indexOf("?")
        const where = `${this.hostPort()} ${method} ${qi < 0 ? req.path : req.path.slice(0, qi)}`
        // framed before connecting: a bad path or header is the caller's error, not the network's
        let out = this.frame(req, method)
        for (let attempt = 0; ; attempt++) {
            if (this.wire && this.wire.isClosed()) await this.drop()
            const reused = !!this.wire
            let fresh = false
            if (!this.wire) {
                await this.open(where, deadline, req.timeoutMs)
                fresh = true
            }
            const w = this.wire
            if (!out) out = this.frame(req, method)
            let bytesIn = 0
            const parser = new ResponseParser({
                method,
                mode: req.mode,
                maxBody: req.maxBody,
                prefixBytes: req.prefixBytes,
                sink: req.sink,
                where,
            })
            try {
                let bytesOut = await this.sendText(w, out.text, where, deadline, req.timeoutMs)
                if (out.bytes) bytesOut += await this.sendAll(w, out.bytes, where, deadline, req.timeoutMs)
                // sent: the heap has better use for it while the reply comes in
                out = null
                let leftover = false
                while (!parser.done) {
                    const left = deadline - ds.millis()
                    const phase: Phase = parser.headComplete() ? "body" : "headers"
                    if (left <= 0)
                        throw new NetError("TimeoutError", where, phase, `no complete response within ${req.timeoutMs} ms (${bytesIn} bytes received)`)
                    let b: Buffer
                    try {
                        b = await w.recv(left)
                    } catch (e: any) {
                        const msg = socketDetail(e)
                        if (fresh && bytesIn === 0 && this.ep.tls && looksLikeTls(msg))
                            throw new NetError("TlsFailedError", where, "connect", msg)
                        throw new NetError("ConnectionClosedError", where, phase, `connection failed after ${bytesIn} response bytes: ${msg}`)
                    }
                    if (b === undefined) continue
                    if (b === null) {
                        parser.eof()
                        break
                    }
                    bytesIn += b.length
                    this.counters.bytesIn += b.length
                    // a read may be several KB (the simulator's sockets): parse it a slice at a time
                    let used = 0
                    for (let off = 0; off < b.length && !parser.done; off += FEED_BYTES) {
                        if (off) await ds.sleep(0)
                        used += parser.push(b, off, off + FEED_BYTES < b.length ? off + FEED_BYTES : b.length)
                    }
                    if (used < b.length) leftover = true
                }
                // bytes past the response belong to nothing we asked: start clean
                if (!parser.keepAlive || leftover) await this.drop()
                return { parser, bytesIn, bytesOut, reused }
            } catch (e: any) {
                await this.drop()
                // a kept-alive connection the server had closed while idle:
                // it read nothing of ours, so one retry on a new connection is safe
                if (reused && attempt === 0 && bytesIn === 0 && isNetError(e, "ConnectionClosedError") && ds.millis() < deadline)
                    continue
                if (!(e instanceof NetError)) throw new NetError("ConnectionClosedError", where, "body", `${e && e.message}`)
                throw e
            }
        }
    }
}
