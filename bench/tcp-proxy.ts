// A TCP proxy that counts: one listening port per client in front of a real
// kube-apiserver, bytes passed through untouched (TLS is end to end, so the
// proxy sees records, never requests), every chunk timed so a window's bytes
// can later be split by the requests the server's audit log says were in
// flight. Each accepted connection is one TLS handshake.
import { AddressInfo, createServer, Server, Socket, connect } from "node:net"

export interface Chunk {
    /** Date.now() when the proxy read it: the server's audit times are wall-clock too. */
    at: number
    up: boolean
    bytes: number
    connection: number
}

export interface Counts {
    up: number
    down: number
    connections: number
}

export class CountingProxy {
    readonly chunks: Chunk[] = []
    private connections = 0
    private readonly sockets = new Set<Socket>()

    private constructor(private readonly server: Server) {}

    /** Listens on a free loopback port and forwards every connection to `target`. */
    static start(target: { host: string; port: number }): Promise<CountingProxy> {
        const server = createServer({ noDelay: true })
        const proxy = new CountingProxy(server)
        server.on("connection", client => proxy.forward(client, target))
        return new Promise((resolve, reject) => {
            server.once("error", reject)
            server.listen(0, "127.0.0.1", () => resolve(proxy))
        })
    }

    get port(): number {
        return (this.server.address() as AddressInfo).port
    }

    private forward(client: Socket, target: { host: string; port: number }) {
        const connection = ++this.connections
        const server = connect({ host: target.host, port: target.port, noDelay: true })
        this.sockets.add(client).add(server)
        const pipe = (from: Socket, to: Socket, up: boolean) => {
            from.on("data", d => {
                this.chunks.push({ at: Date.now(), up, bytes: d.length, connection })
                // backpressure as pipe() would do, keeping the count at read time
                if (!to.write(d)) {
                    from.pause()
                    to.once("drain", () => from.resume())
                }
            })
            from.on("end", () => to.end())
            from.on("close", () => {
                this.sockets.delete(from)
                to.destroy()
            })
            from.on("error", () => to.destroy())
        }
        pipe(client, server, true)
        pipe(server, client, false)
    }

    /** Totals of the chunks read in [from, to) (epoch ms), and connections opened in it. */
    counts(from = -Infinity, to = Infinity): Counts {
        const inWindow = this.chunks.filter(c => c.at >= from && c.at < to)
        const opened = new Set<number>()
        const before = new Set(this.chunks.filter(c => c.at < from).map(c => c.connection))
        for (const c of inWindow) if (!before.has(c.connection)) opened.add(c.connection)
        return {
            up: inWindow.filter(c => c.up).reduce((n, c) => n + c.bytes, 0),
            down: inWindow.filter(c => !c.up).reduce((n, c) => n + c.bytes, 0),
            connections: opened.size,
        }
    }

    /** Connections accepted so far. */
    get accepted(): number {
        return this.connections
    }

    close(): Promise<void> {
        for (const s of this.sockets) s.destroy()
        return new Promise(resolve => this.server.close(() => resolve()))
    }
}
