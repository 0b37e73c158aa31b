// Test helpers: raw HTTP/1.1 exchanges with the emulator (so framing is seen
// as sent, not as a client library reassembles it) and the recorded fixtures.
import { readdirSync, readFileSync } from "node:fs"
import net from "node:net"
import tls from "node:tls"
import { join, resolve } from "node:path"
import type { ApiServer } from "../../tools/apiserver/index"

/** Recordings of a real kube-apiserver, one directory per version. */
export const fixtureDirFor = (version: string) => resolve(__dirname, "../fixtures", `kube-apiserver-${version}`)
export const fixtureDir = fixtureDirFor("1.26")

export interface RawResponse {
    status: number
    /** In wire order, names as sent. */
    headers: [string, string][]
    framing: "chunked" | "content-length" | "none"
    body: Buffer
    /** Everything received, head included. */
    raw: Buffer
    /** How the exchange ended when the reply was incomplete. */
    error?: string
}

export const header = (r: RawResponse, name: string) =>
    r.headers.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1]

/** Status line and headers, once they are complete. */
export function parseHead(buf: Buffer): Omit<RawResponse, "body" | "raw"> & { bodyStart: number } | undefined {
    const end = buf.indexOf("\r\n\r\n")
    if (end < 0 || !buf.subarray(0, 5).equals(Buffer.from("HTTP/"))) return undefined
    const [statusLine, ...lines] = buf.subarray(0, end).toString("latin1").split("\r\n")
    const headers = lines.map(l => {
        const i = l.indexOf(":")
        return [l.slice(0, i), l.slice(i + 1).trim()] as [string, string]
    })
    const te = headers.find(([k]) => k.toLowerCase() === "transfer-encoding")?.[1] ?? ""
    const cl = headers.some(([k]) => k.toLowerCase() === "content-length")
    const framing = /chunked/i.test(te) ? "chunked" : cl ? "content-length" : "none"
    return { status: Number(statusLine.split(" ")[1]), headers, framing, bodyStart: end + 4 }
}

/** Parses one response from `buf`; undefined while incomplete. */
export function parseResponse(buf: Buffer): RawResponse | undefined {
    const head = parseHead(buf)
    if (!head) return undefined
    const { status, headers, bodyStart: start } = head
    const r: RawResponse = { status, headers, framing: "none", body: Buffer.alloc(0), raw: buf }
    if (/chunked/i.test(header(r, "transfer-encoding") ?? "")) {
        r.framing = "chunked"
        const parts: Buffer[] = []
        let at = start
        for (;;) {
            const eol = buf.indexOf("\r\n", at)
            if (eol < 0) return undefined
            const size = parseInt(buf.subarray(at, eol).toString(), 16)
            at = eol + 2
            if (size === 0) {
                if (buf.length < at + 2) return undefined
                r.body = Buffer.concat(parts)
                r.raw = buf.subarray(0, at + 2)
                return r
            }
            if (buf.length < at + size + 2) return undefined
            parts.push(buf.subarray(at, at + size))
            at += size + 2
        }
    }
    const cl = header(r, "content-length")
    if (cl !== undefined) {
        r.framing = "content-length"
        if (buf.length < start + Number(cl)) return undefined
        r.body = buf.subarray(start, start + Number(cl))
        r.raw = buf.subarray(0, start + Number(cl))
    }
    return r
}

/** A kept-alive connection that sends raw requests and reads raw replies. */
export class RawClient {
    private sock: net.Socket
    private buf = Buffer.alloc(0)
    private waiter?: () => void
    ended?: string

    /** `client`: a client certificate and key (PEM files), as an admin of a real server authenticates. */
    constructor(server: Pick<ApiServer, "port" | "caFile">, client?: { certFile: string; keyFile: string }) {
        const opts = { host: "127.0.0.1", port: server.port }
        const identity = client && { cert: readFileSync(client.certFile), key: readFileSync(client.keyFile) }
        this.sock = server.caFile
            ? tls.connect({ ...opts, servername: "localhost", ca: readFileSync(server.caFile), ...identity })
            : net.connect(opts)
        this.sock.on("data", d => {
            this.buf = Buffer.concat([this.buf, d])
            this.waiter?.()
        })
        const end = (why: string) => {
            this.ended ??= why
            this.waiter?.()
        }
        this.sock.on("end", () => end("end"))
        this.sock.on("error", e => end((e as NodeJS.ErrnoException).code ?? e.message))
        this.sock.on("close", () => end("close"))
    }

    /** Sends `request` and resolves with the reply, or with what arrived before the connection ended. */
    async exchange(request: Buffer | string): Promise<RawResponse> {
        this.sock.write(request)
        for (;;) {
            const r = parseResponse(this.buf)
            if (r) {
                this.buf = this.buf.subarray(r.raw.length)
                return r
            }
            if (this.ended) {
                const partial = parseHead(this.buf)
                const got = this.buf
                this.buf = Buffer.alloc(0)
                return {
                    status: partial?.status ?? 0,
                    headers: partial?.headers ?? [],
                    framing: partial?.framing ?? "none",
                    body: Buffer.alloc(0),
                    raw: got,
                    error: this.ended,
                }
            }
            await new Promise<void>(resolve => (this.waiter = resolve))
            this.waiter = undefined
        }
    }

    close(): void {
        this.sock.destroy()
    }
}

/** A request built like the fixtures' (picokubelet's) requests. */
export function request(method: string, path: string, token: string | undefined, body?: unknown, contentType = "application/json", extra: Record<string, string> = {}): string {
    const payload = body === undefined ? "" : typeof body === "string" ? body : JSON.stringify(body)
    const lines = [`${method} ${path} HTTP/1.1`, "Host: localhost", "User-Agent: picokubelet/0.1", "Accept: application/json"]
    if (token) lines.push(`Authorization: Bearer ${token}`)
    for (const [k, v] of Object.entries(extra)) lines.push(`${k}: ${v}`)
    if (body !== undefined) lines.push(`Content-Type: ${contentType}`, `Content-Length: ${Buffer.byteLength(payload)}`)
    return lines.join("\r\n") + "\r\n\r\n" + payload
}

export interface Fixture {
    name: string
    request: Buffer
    response: RawResponse
}

export function loadFixtures(dir = fixtureDir): Fixture[] {
    const names = readdirSync(dir)
        .filter(f => f.endsWith(".request.http"))
        .map(f => f.slice(0, -".request.http".length))
        .sort()
    return names.map(name => {
        const response = parseResponse(readFileSync(join(dir, `${name}.response.http`)))
        if (!response) throw new Error(`fixture ${name}: incomplete response`)
        return { name, request: readFileSync(join(dir, `${name}.request.http`)), response }
    })
}

export const json = (r: RawResponse) => JSON.parse(r.body.toString("utf8"))

/** A request to the emulator whose reply is decoded JSON (raw details kept). */
export async function call(
    client: RawClient,
    method: string,
    path: string,
    token: string | undefined,
    body?: unknown,
    contentType?: string
): Promise<RawResponse & { json: any }> {
    const r = await client.exchange(request(method, path, token, body, contentType))
    let parsed: unknown
    try {
        parsed = JSON.parse(r.body.toString("utf8"))
    } catch {
        parsed = undefined
    }
    return { ...r, json: parsed }
}
