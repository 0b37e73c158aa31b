// Test-only TLS lab: a private CA made with the openssl binary, an HTTP/1.1
// server on raw TLS sockets whose misbehaviours are chosen by path, and a
// second server whose certificate comes from another CA. Bytes are counted
// on the TCP sockets (TLS included).
import { execFileSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createServer, Server, Socket } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createSecureContext, SecureContext, TLSSocket } from "node:tls"

export interface LabCerts {
    dir: string
    caFile: string
    good: { cert: string; key: string }
    other: { cert: string; key: string }
}

function openssl(args: string[], cwd: string) {
    execFileSync("openssl", args, { cwd, stdio: "pipe" })
}

function makeCa(dir: string, name: string) {
    openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", `${name}-ca.key`], dir)
    openssl(["req", "-x509", "-new", "-key", `${name}-ca.key`, "-out", `${name}-ca.pem`, "-days", "2", "-subj", `/CN=${name} test CA`,
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"], dir)
}

function makeLeaf(dir: string, ca: string, name: string) {
    openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", `${name}.key`], dir)
    openssl(["req", "-new", "-key", `${name}.key`, "-out", `${name}.csr`, "-subj", "/CN=localhost"], dir)
    writeFileSync(join(dir, `${name}.ext`), "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    openssl(["x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}-ca.pem`, "-CAkey", `${ca}-ca.key`, "-CAcreateserial",
        "-out", `${name}.pem`, "-days", "2", "-extfile", `${name}.ext`], dir)
    return { cert: readFileSync(join(dir, `${name}.pem`), "utf8"), key: readFileSync(join(dir, `${name}.key`), "utf8") }
}

/** A trusted CA with a localhost server certificate, and an untrusted CA with another. */
export function makeCerts(): LabCerts {
    const dir = mkdtempSync(join(tmpdir(), "picokubelet-tls-"))
    makeCa(dir, "trusted")
    makeCa(dir, "other")
    return { dir, caFile: join(dir, "trusted-ca.pem"), good: makeLeaf(dir, "trusted", "server"), other: makeLeaf(dir, "other", "rogue") }
}

export interface LabRequest {
    method: string
    path: string
    headers: Record<string, string>
    body: Buffer
}

/** Per client kind (by User-Agent of a connection's first request). */
export interface LabStats {
    connections: number
    requests: number
    /** TCP payload bytes, TLS records included. */
    tcpIn: number
    tcpOut: number
}

type Conn = { raw: Socket; tls: TLSSocket; kind: string }

export class HttpsLab {
    readonly stats = new Map<string, LabStats>()
    readonly requests: LabRequest[] = []
    port = 0
    private server?: Server
    private sockets = new Set<Socket>()
    private ctx: SecureContext

    constructor(cert: { cert: string; key: string }) {
        this.ctx = createSecureContext({ cert: cert.cert, key: cert.key })
    }

    statsFor(kind: string): LabStats {
        let s = this.stats.get(kind)
        if (!s) this.stats.set(kind, (s = { connections: 0, requests: 0, tcpIn: 0, tcpOut: 0 }))
        return s
    }

    totalConnections(): number {
        let n = 0
        for (const s of this.stats.values()) n += s.connections
        return n
    }

    async start(): Promise<number> {
        this.server = createServer(raw => this.accept(raw))
        await new Promise<void>(r => this.server!.listen(0, "127.0.0.1", () => r()))
        this.port = (this.server.address() as { port: number }).port
        return this.port
    }

    async close() {
        for (const s of this.sockets) s.destroy()
        await new Promise<void>(r => (this.server ? this.server.close(() => r()) : r()))
    }

    private accept(raw: Socket) {
        this.sockets.add(raw)
        // as Go's net/http (kube-apiserver): no Nagle delay on small replies
        raw.setNoDelay(true)
        const conn: Conn = { raw, tls: new TLSSocket(raw, { isServer: true, secureContext: this.ctx }), kind: "" }
        raw.on("close", () => {
            this.sockets.delete(raw)
            const s = this.statsFor(conn.kind || "unknown")
            s.tcpIn += raw.bytesRead
            s.tcpOut += raw.bytesWritten
        })
        conn.tls.on("error", () => raw.destroy())
        raw.on("error", () => {})
        let buf = Buffer.alloc(0)
        let busy = Promise.resolve()
        conn.tls.on("data", (d: Buffer) => {
            buf = Buffer.concat([buf, d])
            for (;;) {
                const e = buf.indexOf("\r\n\r\n")
                if (e < 0) return
                const head = buf.subarray(0, e).toString("latin1").split("\r\n")
                const [method, path] = head[0].split(" ")
                const headers: Record<string, string> = {}
                for (const l of head.slice(1)) {
                    const c = l.indexOf(":")
                    headers[l.slice(0, c).trim().toLowerCase()] = l.slice(c + 1).trim()
                }
                const n = +(headers["content-length"] ?? 0)
                if (buf.length < e + 4 + n) return
                const req = { method, path, headers, body: buf.subarray(e + 4, e + 4 + n) }
                buf = buf.subarray(e + 4 + n)
                if (!conn.kind) {
                    conn.kind = (headers["user-agent"] ?? "none").startsWith("picokubelet/") ? "picokubelet" : "other"
                    this.statsFor(conn.kind).connections++
                }
                this.statsFor(conn.kind).requests++
                this.requests.push(req)
                busy = busy.then(() => this.answer(conn, req)).catch(() => raw.destroy())
            }
        })
    }

    private async answer(c: Conn, req: LabRequest) {
        const t = c.tls
        const closeAfter = (req.headers["connection"] ?? "").toLowerCase() === "close"
        const date = new Date().toUTCString()
        const send = (status: string, body: Buffer | string, extra = "") => {
            const b = typeof body === "string" ? Buffer.from(body) : body
            const head = `HTTP/1.1 ${status}\r\nDate: ${date}\r\nContent-Type: application/json\r\n${extra}` +
                `${closeAfter ? "Connection: close\r\n" : ""}Content-Length: ${b.length}\r\n\r\n`
            // one write, as a Go server flushes a small reply
            t.write(Buffer.concat([Buffer.from(head), b]))
            if (closeAfter) t.end()
        }
        const p = req.path
        if (p.startsWith("/echo/")) return send("200 OK", JSON.stringify({ path: p, n: p.slice(6) }))
        if (p === "/chunked5k" || p === "/chunked1m") {
            // a body in chunks of varying size, written in pieces cut across chunk boundaries
            const total = p === "/chunked5k" ? 5120 : 1 << 20
            let s = "HTTP/1.1 200 OK\r\nDate: " + date + "\r\nTransfer-Encoding: chunked\r\n\r\n"
            let sent = 0
            let k = 0
            while (sent < total) {
                const n = Math.min(total - sent, 200 + ((k++ * 337) % 900))
                s += `${n.toString(16)}\r\n${bodyText(sent, n)}\r\n`
                sent += n
            }
            s += "0\r\n\r\n"
            const bytes = Buffer.from(s)
            if (total > 100000) return paced(t, bytes)
            for (let i = 0; i < bytes.length; i += 333) {
                if (t.destroyed) return
                t.write(bytes.subarray(i, i + 333))
                await new Promise(r => setTimeout(r, 3))
            }
            return
        }
        if (p === "/big")
            return paced(t, Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nDate: ${date}\r\nContent-Length: ${1 << 20}\r\n\r\n`), Buffer.alloc(1 << 20, 0x61)]))
        if (p === "/close") {
            t.write(`HTTP/1.1 200 OK\r\nDate: ${date}\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok`)
            t.end()
            return
        }
        if (p === "/reset") {
            t.write(`HTTP/1.1 200 OK\r\nDate: ${date}\r\nContent-Length: 4000\r\n\r\n${"r".repeat(1000)}`)
            await new Promise(r => setTimeout(r, 50))
            c.raw.resetAndDestroy()
            return
        }
        if (p === "/stall") return // never answers
        if (p === "/http10") {
            t.write("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello from ")
            await new Promise(r => setTimeout(r, 20))
            t.write("a close-delimited HTTP/1.0 body")
            t.end()
            return
        }
        send("404 Not Found", '{"kind":"Status","code":404}')
    }
}

/**
 * Writes at about 200 KB/s (2 KB every 10 ms; LAB_PIECE / LAB_GAP override),
 * stopping when the client hangs up. The simulator's socket glue copies every
 * TLS record into the VM's 64 KB heap the moment Node reads it, with no
 * backpressure: measured, a 1 MB body at loopback speed, or even at 4 KB per
 * 4 ms, exhausted the heap (OutOfMemory) before the program could close the
 * socket; 1 KB per 20 ms and 2 KB per 10 ms pass. An ESP32's TLS throughput
 * (a few hundred KB/s) paces a real board in the same way.
 */
async function paced(t: TLSSocket, bytes: Buffer) {
    const piece = +(process.env.LAB_PIECE ?? 2048)
    const gap = +(process.env.LAB_GAP ?? 10)
    for (let i = 0; i < bytes.length; i += piece) {
        if (t.destroyed || t.writableEnded) return
        t.write(bytes.subarray(i, i + piece))
        await new Promise(r => setTimeout(r, gap))
    }
}

/** The body text of the chunked replies: position-dependent, so misplaced bytes show. */
export function bodyText(from: number, n: number): string {
    let s = ""
    for (let i = from; i < from + n; i++) s += String.fromCharCode(97 + (i % 26))
    return s
}

export function removeCerts(c: LabCerts) {
    rmSync(c.dir, { recursive: true, force: true })
}
