import { createServer, IncomingMessage, request } from "node:http"
import { AddressInfo } from "node:net"

// A proxy in front of the real registry, for the faults a registry cannot be
// asked to produce: a 5xx in the middle of a pull, a window corrupted on the
// way. It records every request so a test can tell what the node pulled.

export interface ProxiedRequest {
    method: string
    path: string
    range?: string
    status: number
    bytes: number
    /** Date.now() when the request came. */
    at: number
}

/** What to do with the n-th request (counted from 1): pass it on, answer a status, or flip a byte of its body. */
export type Fault = { status: number } | "corrupt" | undefined

export interface RegistryProxy {
    /** 127.0.0.1:PORT, the registry part of a reference through the proxy. */
    host: string
    requests: ProxiedRequest[]
    fault: (req: IncomingMessage, n: number) => Fault
    stop(): Promise<void>
}

export async function startRegistryProxy(upstreamPort: number): Promise<RegistryProxy> {
    const proxy: RegistryProxy = { host: "", requests: [], fault: () => undefined, stop: async () => {} }
    const server = createServer((req, res) => {
        const record: ProxiedRequest = { method: req.method!, path: req.url!, range: req.headers.range, status: 0, bytes: 0, at: Date.now() }
        proxy.requests.push(record)
        const fault = proxy.fault(req, proxy.requests.length)
        if (fault && fault !== "corrupt") {
            record.status = fault.status
            res.writeHead(fault.status, { "Content-Type": "text/plain" }).end("injected fault\n")
            return
        }
        const up = request({ host: "127.0.0.1", port: upstreamPort, method: req.method, path: req.url, headers: req.headers }, upRes => {
            const chunks: Buffer[] = []
            upRes.on("data", c => chunks.push(c))
            upRes.on("end", () => {
                const body = Buffer.concat(chunks)
                if (fault === "corrupt" && body.length) body[body.length >> 1] ^= 0xff
                record.status = upRes.statusCode!
                record.bytes = body.length
                res.writeHead(upRes.statusCode!, upRes.headers).end(body)
            })
        })
        up.on("error", e => res.writeHead(502).end(e.message))
        req.pipe(up)
    })
    await new Promise<void>(r => server.listen(0, "127.0.0.1", r))
    proxy.host = `127.0.0.1:${(server.address() as AddressInfo).port}`
    proxy.stop = () => new Promise(r => server.close(() => r()))
    return proxy
}
