// An in-VM fake server behind the Dialer/Wire interfaces: the connection,
// queue and client logic run against it without a network.
import * as ds from "@devicescript/core"
import { Dialer, Wire } from "../../../src/net/wire"

export interface FakeRequest {
    method: string
    path: string
    head: string
    body: string
    /** Order of arrival over all wires. */
    index: number
    wire: FakeWire
}

export class FakeWire implements Wire {
    closed = false
    clientClosed = false
    /** Sizes of the writes the client made. */
    writes: number[] = []
    private inbox: Buffer[] = []
    private eof = false
    private failure: string = null
    private pending = ""

    constructor(private server: FakeServer) {}

    async send(data: Buffer | string) {
        if (this.closed) throw new Error("socket tls://fake:1: old socket used")
        this.writes.push(typeof data === "string" ? (data as string).byteLength : (data as Buffer).length)
        this.pending += typeof data === "string" ? (data as string) : (data as Buffer).toString()
        this.server.parse(this)
    }

    takeRequest(): { head: string; body: string } {
        const e = this.pending.indexOf("\r\n\r\n")
        if (e < 0) return null
        const head = this.pending.slice(0, e + 4)
        const cl = head.indexOf("Content-Length: ")
        let n = 0
        if (cl >= 0) n = parseInt(head.slice(cl + 16, head.indexOf("\r\n", cl)))
        // Content-Length counts bytes: a UTF-8 body is measured as bytes
        const rest = Buffer.from(this.pending.slice(e + 4))
        if (rest.length < n) return null
        this.pending = rest.slice(n).toString()
        return { head, body: rest.slice(0, n).toString() }
    }

    async recv(timeoutMs: number): Promise<Buffer | null | undefined> {
        const until = ds.millis() + timeoutMs
        for (;;) {
            if (this.inbox.length) return this.inbox.shift()
            if (this.failure) {
                const f = this.failure
                this.failure = null
                this.closed = true
                throw new Error(f)
            }
            if (this.eof) {
                this.closed = true
                return null
            }
            const left = until - ds.millis()
            if (left <= 0) return undefined
            await ds.sleep(left < 5 ? left : 5)
        }
    }

    async close() {
        this.closed = true
        this.clientClosed = true
    }

    isClosed() {
        return this.closed
    }

    // server side
    deliver(text: string, pieceSize?: number) {
        const b = Buffer.from(text)
        const n = pieceSize || b.length
        for (let i = 0; i < b.length; i += n) this.inbox.push(b.slice(i, i + n))
    }
    /** A chunked 200 whose body is `total` copies of c, one read per chunk. */
    deliverChunked(c: string, total: number, chunk: number) {
        this.deliver("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        for (let i = 0; i < total; i += chunk) {
            const n = total - i < chunk ? total - i : chunk
            this.deliver(`${hex(n)}\r\n${repeat(c, n)}\r\n`)
        }
        this.deliver("0\r\n\r\n")
    }
    /** The server closes: the client sees it on reading. */
    hangUp() {
        this.eof = true
    }
    /** The server closes while idle and the socket layer already noticed. */
    closeNoticed() {
        this.eof = true
        this.closed = true
    }
    fail(msg: string) {
        this.failure = msg
    }
}

export class FakeServer implements Dialer {
    dials = 0
    wires: FakeWire[] = []
    requests: FakeRequest[] = []
    /** When set, dial throws an Error with this message. */
    failDial: string = null
    handler: (r: FakeRequest) => void = r => r.wire.deliver(response(200, r.path))

    async dial(host: string, port: number, tls: boolean, timeoutMs: number): Promise<Wire> {
        this.dials++
        await ds.sleep(1)
        if (this.failDial) throw new Error(this.failDial)
        const w = new FakeWire(this)
        this.wires.push(w)
        return w
    }

    parse(w: FakeWire) {
        for (;;) {
            const r = w.takeRequest()
            if (!r) return
            const sp = r.head.indexOf(" ")
            const req: FakeRequest = {
                method: r.head.slice(0, sp),
                path: r.head.slice(sp + 1, r.head.indexOf(" HTTP/1.1")),
                head: r.head,
                body: r.body,
                index: this.requests.length,
                wire: w,
            }
            this.requests.push(req)
            this.handler(req)
        }
    }
}

export function response(status: number, body: string, extra?: string): string {
    return `HTTP/1.1 ${status} X\r\nDate: Fri, 20 Nov 2026 22:37:15 GMT\r\n${extra || ""}Content-Length: ${body.length}\r\n\r\n${body}`
}

export function hex(n: number): string {
    const digits = "0123456789abcdef"
    let s = digits[n & 15]
    n = n >> 4
    while (n > 0) {
        s = digits[n & 15] + s
        n = n >> 4
    }
    return s
}

export function chunked(body: string, chunk: number): string {
    let s = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    for (let i = 0; i < body.length; i += chunk) {
        const part = body.slice(i, i + chunk)
        s += `${hex(part.length)}\r\n${part}\r\n`
    }
    return s + "0\r\n\r\n"
}

export function repeat(c: string, n: number): string {
    let s = c
    while (s.length < n) s += s
    return s.slice(0, n)
}
