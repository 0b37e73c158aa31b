// HTTP/1.1 request framing: the head as one string, the body as bytes.
import { USER_AGENT } from "./version"

export interface RequestHead {
    method: string
    /** Path and query, starting with "/". */
    path: string
    host: string
    port: number
    tls: boolean
    /** Bearer token; sent as Authorization, never logged. */
    token?: string
    /** Extra headers; they override the defaults of the same name. */
    headers?: Record<string, string>
    /** Body length in bytes (Content-Length is sent for bodies and for POST/PUT/PATCH). */
    bodyLength: number
}

/** Host header value: the port only when it is not the scheme's default. */
export function hostHeader(host: string, port: number, tls: boolean): string {
    const dflt = tls ? 443 : 80
    // an IPv6 literal needs brackets
    const h = host.indexOf(":") >= 0 && host.charCodeAt(0) !== 91 ? `[${host}]` : host
    return port === dflt ? h : `${h}:${port}`
}

function hasHeader(headers: Record<string, string>, lower: string): boolean {
    if (!headers) return false
    const ks = Object.keys(headers)
    for (let i = 0; i < ks.length; i++) if (ks[i].toLowerCase() === lower) return true
    return false
}

function checkToken(what: string, s: string) {
    for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i)
        // no CR, LF or other control characters: they would split the request
        if (c < 32 || c === 127) throw new TypeError(`${what} contains a control character`)
    }
}

/** The request line and headers, ending with the empty line. */
export function buildRequestHead(r: RequestHead): string {
    const method = r.method ? r.method.toUpperCase() : "GET"
    checkToken("method", method)
    checkToken("path", r.path)
    if (r.path.charCodeAt(0) !== 47) throw new TypeError("path must start with /")
    for (let i = 0; i < method.length; i++)
        if (method.charCodeAt(i) === 32) throw new TypeError("method contains a space")
    for (let i = 0; i < r.path.length; i++)
        if (r.path.charCodeAt(i) === 32) throw new TypeError("path contains a space")
    const h = r.headers
    let s = `${method} ${r.path} HTTP/1.1\r\nHost: ${hostHeader(r.host, r.port, r.tls)}\r\n`
    if (!hasHeader(h, "user-agent")) s += `User-Agent: ${USER_AGENT}\r\n`
    if (r.token && !hasHeader(h, "authorization")) {
        checkToken("token", r.token)
        s += `Authorization: Bearer ${r.token}\r\n`
    }
    if (r.bodyLength > 0 && !hasHeader(h, "content-type")) s += "Content-Type: application/json\r\n"
    if (r.bodyLength > 0 || method === "POST" || method === "PUT" || method === "PATCH")
        s += `Content-Length: ${r.bodyLength}\r\n`
    if (h) {
        const ks = Object.keys(h)
        for (let i = 0; i < ks.length; i++) {
            const k = ks[i]
            const lower = k.toLowerCase()
            // framing and routing are ours
            if (lower === "host" || lower === "content-length" || lower === "transfer-encoding") continue
            checkToken("header name", k)
            checkToken(`header ${k}`, h[k])
            s += `${k}: ${h[k]}\r\n`
        }
    }
    return s + "\r\n"
}
