// An HTTP/1.1 request parser. The emulator owns its sockets (instead of using
// node:http) so that it can frame replies like Go and break them on purpose.

export interface HttpRequest {
    method: string
    target: string
    version: string
    /** Lower-case names; repeated headers joined with ", ". */
    headers: Record<string, string>
    body: Buffer
    /** Bytes of the whole message as received. */
    size: number
}

const maxHeaderBytes = 1 << 20
const maxBodyBytes = 3 << 20 // kube-apiserver's request size limit

export class HttpParseError extends Error {}

export class RequestParser {
    private buf: Buffer = Buffer.alloc(0)

    constructor(private onRequest: (req: HttpRequest) => void) {}

    /** Feeds bytes; throws HttpParseError on a malformed request. */
    push(chunk: Buffer): void {
        this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk
        for (;;) {
            const req = this.next()
            if (!req) return
            this.onRequest(req)
        }
    }

    private next(): HttpRequest | undefined {
        const end = this.buf.indexOf("\r\n\r\n")
        if (end < 0) {
            if (this.buf.length > maxHeaderBytes) throw new HttpParseError("header too large")
            return undefined
        }
        const lines = this.buf.subarray(0, end).toString("latin1").split("\r\n")
        const m = /^([A-Z]+) (\S+) (HTTP\/1\.[01])$/.exec(lines[0])
        if (!m) throw new HttpParseError(`malformed request line ${JSON.stringify(lines[0])}`)
        const headers: Record<string, string> = {}
        for (const line of lines.slice(1)) {
            const i = line.indexOf(":")
            if (i <= 0) throw new HttpParseError(`malformed header ${JSON.stringify(line)}`)
            const k = line.slice(0, i).trim().toLowerCase()
            const v = line.slice(i + 1).trim()
            headers[k] = k in headers ? `${headers[k]}, ${v}` : v
        }
        const start = end + 4
        const framed = /\bchunked\b/i.test(headers["transfer-encoding"] ?? "")
            ? this.chunkedBody(start)
            : this.lengthBody(start, headers["content-length"])
        if (!framed) return undefined
        const [body, consumed] = framed
        this.buf = this.buf.subarray(consumed)
        return { method: m[1], target: m[2], version: m[3], headers, body, size: consumed }
    }

    private lengthBody(start: number, contentLength: string | undefined): [Buffer, number] | undefined {
        const n = contentLength === undefined ? 0 : Number(contentLength)
        if (!Number.isInteger(n) || n < 0) throw new HttpParseError(`bad Content-Length ${contentLength}`)
        if (n > maxBodyBytes) throw new HttpParseError("request entity too large")
        if (this.buf.length < start + n) return undefined
        return [this.buf.subarray(start, start + n), start + n]
    }

    private chunkedBody(start: number): [Buffer, number] | undefined {
        const parts: Buffer[] = []
        let at = start
        for (;;) {
            const eol = this.buf.indexOf("\r\n", at)
            if (eol < 0) return undefined
            const size = parseInt(this.buf.subarray(at, eol).toString("latin1").split(";")[0], 16)
            if (Number.isNaN(size)) throw new HttpParseError("bad chunk size")
            at = eol + 2
            if (size === 0) {
                // trailers end with an empty line
                const done = this.buf.indexOf("\r\n\r\n", at - 2)
                if (done < 0) return undefined
                return [Buffer.concat(parts), done + 4]
            }
            if (this.buf.length < at + size + 2) return undefined
            parts.push(this.buf.subarray(at, at + size))
            at += size + 2
        }
    }
}
