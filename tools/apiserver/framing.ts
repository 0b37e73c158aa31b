// Responses written byte for byte the way Go's net/http writes them: headers
// sorted, then Date and the framing; bodies that fit its 2048-byte buffer get
// Content-Length, longer ones go out as one chunk.
import { STATUS_CODES } from "node:http"

export const chunkingThreshold = 2048

/** IMF-fixdate, as Go's http.TimeFormat. */
export const httpDate = (ms: number) => new Date(ms).toUTCString()

export interface Head {
    code: number
    headers: Record<string, string>
    date: number
    close: boolean
}

export function responseHead(head: Head, bodyLength: number, chunked: boolean): Buffer {
    const lines = [`HTTP/1.1 ${head.code} ${STATUS_CODES[head.code] ?? "status code " + head.code}`]
    for (const k of Object.keys(head.headers).sort()) lines.push(`${k}: ${head.headers[k]}`)
    lines.push(`Date: ${httpDate(head.date)}`)
    if (!chunked) lines.push(`Content-Length: ${bodyLength}`)
    if (head.close) lines.push("Connection: close")
    if (chunked) lines.push("Transfer-Encoding: chunked")
    return Buffer.from(lines.join("\r\n") + "\r\n\r\n", "latin1")
}

export const chunkHeader = (n: number) => Buffer.from(`${n.toString(16)}\r\n`)
export const lastChunk = Buffer.from("\r\n0\r\n\r\n")

/** The whole response, and where its body starts (for faults that cut it). */
export function encodeResponse(head: Head, body: Buffer, forceChunked = false): { bytes: Buffer; bodyStart: number } {
    const chunked = forceChunked || body.length > chunkingThreshold
    const h = responseHead(head, body.length, chunked)
    if (!chunked) return { bytes: Buffer.concat([h, body]), bodyStart: h.length }
    const ch = chunkHeader(body.length)
    return { bytes: Buffer.concat([h, ch, body, lastChunk]), bodyStart: h.length + ch.length }
}
