// The wire: a plain net.Server whose sockets are counted before TLS wraps
// them (so byte counts include TLS overhead), an HTTP/1.1 loop per
// connection, and the faults tests arm.
import { randomBytes } from "node:crypto"
import net from "node:net"
import tls from "node:tls"
import type { Api, ApiReply } from "./api"
import type { Clock } from "./clock"
import type { Faults, FaultKind, FaultSpec } from "./faults"
import { encodeResponse } from "./framing"
import { HttpParseError, RequestParser, type HttpRequest } from "./http1"
import { isProtobuf } from "./negotiation"
import { loadProtobufOnce } from "./protobuf"
import { serverFault } from "./status"

export interface LogEntry {
    id: number
    connection: number
    /** Emulator clock when the request was complete. */
    time: number
    method: string
    /** The request target: path and query. */
    path: string
    /** Undefined when no status line was sent (closed, garbage). */
    status?: number
    fault?: FaultKind
    /**
     * Bytes on the TCP socket (TLS records included) since the previous request
     * on the connection; the first request on a TLS connection also carries the
     * client's handshake.
     */
    bytesIn: number
    /** Bytes on the TCP socket for the reply, TLS records included. */
    bytesOut: number
    /** The HTTP message sizes, before TLS. */
    httpBytesIn: number
    httpBytesOut: number
}

export class RequestLog {
    entries: LogEntry[] = []
    /** TCP connections accepted. */
    connections = 0
    /** TLS handshakes completed. */
    handshakes = 0
    private closedIn = 0
    private closedOut = 0
    /** @internal live raw sockets, for the running totals */
    readonly live = new Set<net.Socket>()

    /** Raw bytes received over all connections, handshakes included. */
    get bytesIn(): number {
        let n = this.closedIn
        for (const s of this.live) n += s.bytesRead
        return n
    }

    get bytesOut(): number {
        let n = this.closedOut
        for (const s of this.live) n += s.bytesWritten
        return n
    }

    /** @internal */
    closed(s: net.Socket): void {
        if (!this.live.delete(s)) return
        this.closedIn += s.bytesRead
        this.closedOut += s.bytesWritten
    }

    clear(): void {
        this.entries = []
        this.connections = 0
        this.handshakes = 0
        this.closedIn = 0
        this.closedOut = 0
        // live connections keep counting from here
        for (const s of this.live) {
            this.closedIn -= s.bytesRead
            this.closedOut -= s.bytesWritten
        }
    }
}

interface Connection {
    id: number
    raw: net.Socket
    sock: net.Socket
    lastIn: number
    lastOut: number
    queue: Promise<void>
}

export interface WireOptions {
    host: string
    port: number
    tls?: tls.SecureContextOptions
    clock: Clock
    faults: Faults
    log: RequestLog
    api: Api
}

const badRequest = Buffer.from(
    "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request"
)

export class WireServer {
    private server = net.createServer(raw => this.accept(raw))
    private secure?: tls.SecureContext
    private timers = new Set<NodeJS.Timeout>()
    private seq = { conn: 0, req: 0 }
    port: number

    constructor(private o: WireOptions) {
        this.port = o.port
        if (o.tls) this.secure = tls.createSecureContext(o.tls)
    }

    async listen(): Promise<void> {
        await new Promise<void>((resolve, reject) => {
            this.server.once("error", reject)
            this.server.listen(this.port, this.o.host, () => {
                this.server.off("error", reject)
                resolve()
            })
        })
        this.port = (this.server.address() as net.AddressInfo).port
    }

    /** Stops accepting and drops every open connection. */
    async close(): Promise<void> {
        for (const t of this.timers) clearTimeout(t)
        this.timers.clear()
        const closed = this.server.listening ? new Promise(r => this.server.close(r)) : Promise.resolve()
        for (const s of this.o.log.live) s.destroy()
        await closed
    }

    /** Connections are refused (nothing listens) for `ms`; resolves once refusing. */
    async refuse(ms: number): Promise<void> {
        await this.close()
        this.later(ms, () => void this.listen())
    }

    private later(ms: number, fn: () => void): void {
        const t = setTimeout(() => {
            this.timers.delete(t)
            fn()
        }, ms)
        this.timers.add(t)
    }

    private accept(raw: net.Socket): void {
        const { log } = this.o
        log.connections++
        log.live.add(raw)
        raw.on("close", () => log.closed(raw))
        raw.on("error", () => raw.destroy())
        raw.setNoDelay(true)
        let sock = raw
        if (this.secure) {
            sock = new tls.TLSSocket(raw, { isServer: true, secureContext: this.secure })
            sock.on("secure", () => {
                log.handshakes++
                // the client's last handshake flight arrives with its first request, so
                // only the server's handshake bytes can be kept out of the first entry
                conn.lastOut = raw.bytesWritten
            })
            sock.on("error", () => sock.destroy())
            sock.on("close", () => raw.destroy())
        }
        const conn: Connection = { id: ++this.seq.conn, raw, sock, lastIn: 0, lastOut: 0, queue: Promise.resolve() }
        const parser = new RequestParser(req => {
            conn.queue = conn.queue.then(() => this.serve(conn, req))
        })
        sock.on("data", chunk => {
            try {
                parser.push(chunk)
            } catch (e) {
                if (!(e instanceof HttpParseError)) throw e
                sock.end(badRequest)
            }
        })
    }

    private async serve(conn: Connection, req: HttpRequest): Promise<void> {
        const { raw, sock } = conn
        if (sock.destroyed) return
        const entry: LogEntry = {
            id: ++this.seq.req,
            connection: conn.id,
            time: this.o.clock.now(),
            method: req.method,
            path: req.target,
            bytesIn: raw.bytesRead - conn.lastIn,
            bytesOut: 0,
            httpBytesIn: req.size,
            httpBytesOut: 0,
        }
        conn.lastIn = raw.bytesRead
        this.o.log.entries.push(entry)
        const fault = this.o.faults.take(req.method, req.target)
        entry.fault = fault?.kind
        if (fault?.kind === "delay") {
            await new Promise<void>(resolve => this.later(fault.ms ?? 1000, resolve))
            if (sock.destroyed) return
        }
        if (fault?.kind === "close") return void sock.destroy()
        if (fault?.kind === "garbage") {
            const junk = randomBytes(fault.bytes ?? 64)
            entry.httpBytesOut = junk.length
            return new Promise(resolve => sock.end(junk, () => resolve()))
        }
        const injected = fault?.kind === "status" ? serverFault(fault.code ?? 500, retryAfter(fault)) : undefined
        if (isProtobuf(req.headers.accept)) await loadProtobufOnce()
        if (sock.destroyed) return
        let reply = this.o.api.handle(req, injected)
        if (fault?.kind === "oversize") reply = pad(reply, fault.bytes ?? 1 << 20)
        const close = wantsClose(req)
        const { bytes, bodyStart } = encodeResponse(
            { code: reply.code, headers: reply.headers, date: this.o.clock.now(), close },
            reply.body,
            fault?.kind === "truncate-chunked"
        )
        entry.status = reply.code
        const cut = bodyStart + Math.floor((bytes.length - bodyStart) / 2)
        const out = fault?.kind === "reset-mid-body" || fault?.kind === "truncate-chunked" ? bytes.subarray(0, cut) : bytes
        entry.httpBytesOut = out.length
        await new Promise<void>(resolve => {
            sock.write(out, () => {
                entry.bytesOut = raw.bytesWritten - conn.lastOut
                conn.lastOut = raw.bytesWritten
                resolve()
            })
        })
        // a reset straight from the write callback goes out as a FIN on Linux; a short pause makes it an RST
        if (fault?.kind === "reset-mid-body") this.later(20, () => raw.resetAndDestroy())
        else if (fault?.kind === "truncate-chunked" || close) sock.end()
    }
}

function retryAfter(f: FaultSpec): number | undefined {
    return f.retryAfter ?? (f.code === 429 ? 1 : undefined)
}

function wantsClose(req: HttpRequest): boolean {
    const c = (req.headers.connection ?? "").toLowerCase()
    return c.includes("close") || (req.version === "HTTP/1.0" && !c.includes("keep-alive"))
}

/**
 * The reply grown to `size` bytes with an annotation, still valid JSON of the
 * same object. A protobuf reply goes out as it is: the fault is for JSON readers.
 */
function pad(reply: ApiReply, size: number): ApiReply {
    if (reply.headers["Content-Type"] !== "application/json") return reply
    const obj = JSON.parse(reply.body.toString("utf8"))
    const key = "emulator.picokubelet.dev/padding"
    obj.metadata ??= {}
    obj.metadata.annotations = { ...obj.metadata.annotations, [key]: "" }
    const base = Buffer.byteLength(JSON.stringify(obj) + "\n")
    obj.metadata.annotations[key] = "x".repeat(Math.max(0, size - base))
    return { ...reply, body: Buffer.from(JSON.stringify(obj) + "\n") }
}
