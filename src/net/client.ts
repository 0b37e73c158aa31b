// The fetch-shaped API over one shared keep-alive connection. Any fiber may
// call fetch(); requests run one at a time in arrival order.
import * as ds from "@devicescript/core"
import { Connection } from "./connection"
import { TransportCounters } from "./counters"
import { NetError, errorName } from "./errors"
import { Headers } from "./headers"
import { FairQueue } from "./queue"
import { SocketDialer } from "./socket-wire"
import { BodyMode, BodySink, DEFAULT_MAX_BODY } from "./response-parser"
import { Dialer } from "./wire"

export const DEFAULT_TIMEOUT_MS = 10000
export const DEFAULT_QUEUE_TIMEOUT_MS = 60000

export interface ClientOptions {
    host: string
    port: number
    /** Default true. */
    tls?: boolean
    /** Bearer token sent with every request. */
    token?: string
    /** Default deadline of one request (connect + send + receive), 10 s. */
    timeoutMs?: number
    /** Longest wait for the queue before a request starts, 60 s. */
    queueTimeoutMs?: number
    /** Default cap of buffered bodies, 8 KB. */
    maxBody?: number
    /** Default: DeviceScript sockets. Tests pass a fake. */
    dialer?: Dialer
    /**
     * A client whose queue and socket this one shares: requests of both run
     * one at a time, and a request to one closes the other's connection
     * first, so the device never holds two sockets (two TLS sessions).
     */
    shareWith?: HttpClient
}

/** Which of the clients sharing a queue holds the socket now. */
interface Line {
    holder: Connection
}

export interface FetchInit {
    method?: string
    headers?: Record<string, string>
    /** A string or Buffer is sent as is, a function's string when the request goes out (see ExchangeRequest); anything else as JSON. */
    body?: string | Buffer | (() => string | string[]) | any
    /** "buffer" (default), "discard", "prefix" or "stream". */
    bodyMode?: BodyMode
    /** prefix and stream modes: how many leading body bytes to keep (default 512; stream: of a non-2xx body). */
    prefixBytes?: number
    /** stream mode: takes a 2xx body as it arrives. */
    sink?: BodySink
    /** buffer mode: the cap (default the client's, 8 KB). */
    maxBody?: number
    /** This request's deadline (connect + send + receive). */
    timeoutMs?: number
}

export class Response {
    status: number
    statusText: string
    ok: boolean
    headers: Headers
    /** Response bytes read from the connection (headers and framing included). */
    bytesIn: number
    /** Request bytes written. */
    bytesOut: number
    /** Decoded body length, kept or not. */
    bodyBytes: number
    /** prefix mode: the body was longer than what was kept. */
    truncated: boolean
    latencyMs: number
    /** Went over a connection opened for an earlier request. */
    reused: boolean
    private _body: Buffer

    constructor(body: Buffer) {
        this._body = body
    }

    /** The kept body bytes (empty in discard mode). */
    buffer(): Buffer {
        return this._body
    }

    async text(): Promise<string> {
        return this._body.toString("utf-8")
    }

    async json(): Promise<any> {
        return JSON.parse(this._body.toString("utf-8"))
    }
}

// DeviceScript has no default parameters on interfaces: resolve them here
function orDefault(v: number, d: number): number {
    return v === undefined || v === null ? d : v
}

export class HttpClient {
    readonly counters = new TransportCounters()
    private conn: Connection
    private queue: FairQueue
    private line: Line
    private timeoutMs: number
    private queueTimeoutMs: number
    private maxBody: number
    private where: string

    constructor(opts: ClientOptions) {
        if (!opts.host) throw new TypeError("HttpClient: host required")
        if (!(opts.port > 0 && opts.port < 65536)) throw new TypeError(`HttpClient: bad port ${opts.port}`)
        const tls = opts.tls === undefined ? true : !!opts.tls
        let dialer = opts.dialer
        if (!dialer) dialer = new SocketDialer()
        this.conn = new Connection({ host: opts.host, port: opts.port, tls, token: opts.token }, dialer, this.counters)
        const other = opts.shareWith
        this.queue = other ? other.queue : new FairQueue()
        this.line = other ? other.line : { holder: null }
        this.timeoutMs = orDefault(opts.timeoutMs, DEFAULT_TIMEOUT_MS)
        this.queueTimeoutMs = orDefault(opts.queueTimeoutMs, DEFAULT_QUEUE_TIMEOUT_MS)
        this.maxBody = orDefault(opts.maxBody, DEFAULT_MAX_BODY)
        this.where = `${opts.host}:${opts.port}`
    }

    /**
     * Drops the connection (after repeated failures, say). Waits its turn in
     * the queue, so it never cuts a running request; the next request reconnects.
     */
    async drop() {
        const got = await this.queue.acquire(this.queueTimeoutMs)
        try {
            await this.conn.drop()
            if (this.line.holder === this.conn) this.line.holder = null
        } finally {
            if (got) this.queue.release()
        }
    }

    /** fetch(path, init): one request over the shared connection. Throws a NetError. */
    async fetch(path: string, init?: FetchInit): Promise<Response> {
        if (!init) init = {}
        const method = init.method ? init.method.toUpperCase() : "GET"
        // strings and body functions go to the connection as they are
        let body: Buffer | string | (() => string | string[]) = null
        const headers = init.headers
        const b = init.body
        if (b !== undefined && b !== null) {
            if (typeof b === "string" || typeof b === "function" || b instanceof Buffer) body = b
            else body = JSON.stringify(b)
        }
        const mode: BodyMode = init.bodyMode || "buffer"
        const timeoutMs = orDefault(init.timeoutMs, this.timeoutMs)
        if (!(await this.queue.acquire(this.queueTimeoutMs))) {
            this.counters.requests++
            this.counters.recordError("TimeoutError")
            throw new NetError("TimeoutError", `${this.where} ${method} ${path}`, "queue", `still queued after ${this.queueTimeoutMs} ms`)
        }
        const start = ds.millis()
        try {
            const holder = this.line.holder
            if (holder && holder !== this.conn) await holder.drop()
            this.line.holder = this.conn
            this.counters.requests++
            const r = await this.conn.exchange({
                method,
                path,
                headers,
                body,
                mode,
                maxBody: orDefault(init.maxBody, this.maxBody),
                prefixBytes: orDefault(init.prefixBytes, 512),
                sink: init.sink,
                timeoutMs,
            })
            const p = r.parser
            const res = new Response(mode === "discard" ? Buffer.alloc(0) : p.body())
            res.status = p.status
            res.statusText = p.statusText
            res.ok = p.status >= 200 && p.status < 300
            res.headers = p.headers
            res.bytesIn = r.bytesIn
            res.bytesOut = r.bytesOut
            res.bodyBytes = p.bodyBytes
            res.truncated = p.truncated
            res.reused = r.reused
            res.latencyMs = ds.millis() - start
            this.counters.recordLatency(res.latencyMs)
            return res
        } catch (e: any) {
            this.counters.recordLatency(ds.millis() - start)
            this.counters.recordError(errorName(e))
            throw e
        } finally {
            this.queue.release()
        }
    }
}
