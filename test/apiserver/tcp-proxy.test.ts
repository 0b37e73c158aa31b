// bench/tcp-proxy.ts, the counting proxy the peers benchmark puts in front of
// the real kube-apiserver, and bench/audit.ts's split of its chunks by request:
// bytes pass unchanged, each direction and each connection is counted, a
// window counts only what it holds. Here because tools/test.ts runs this
// folder's node tests; no timing is asserted.
import assert from "node:assert/strict"
import { AddressInfo, connect, createServer, Server, Socket } from "node:net"
import { after, before, describe, test } from "node:test"
import { AuditRequest, attribute } from "../../bench/audit"
import { Chunk, CountingProxy } from "../../bench/tcp-proxy"

/** Replies to every chunk with twice as many bytes. */
function doubler(): Promise<Server> {
    const server = createServer(s => s.on("data", d => s.write(Buffer.concat([d, d]))))
    return new Promise(resolve => server.listen(0, "127.0.0.1", () => resolve(server)))
}

function dial(port: number): Promise<Socket> {
    return new Promise((resolve, reject) => {
        const s = connect(port, "127.0.0.1", () => resolve(s))
        s.once("error", reject)
    })
}

/** Sends `text` and reads until `expect` bytes came back. */
function exchange(s: Socket, text: string, expect: number): Promise<string> {
    return new Promise(resolve => {
        let got = ""
        const take = (d: Buffer) => {
            got += d.toString()
            if (got.length >= expect) {
                s.off("data", take)
                resolve(got)
            }
        }
        s.on("data", take)
        s.write(text)
    })
}

describe("counting proxy", () => {
    let server: Server
    let proxy: CountingProxy
    before(async () => {
        server = await doubler()
        proxy = await CountingProxy.start({ host: "127.0.0.1", port: (server.address() as AddressInfo).port })
    })
    after(async () => {
        await proxy.close()
        await new Promise(r => server.close(r))
    })

    test("passes bytes through and counts each direction and each connection", async () => {
        const a = await dial(proxy.port)
        assert.equal(await exchange(a, "hello", 10), "hellohello")
        assert.equal(await exchange(a, "abc", 6), "abcabc")
        const b = await dial(proxy.port)
        assert.equal(await exchange(b, "xyzw", 8), "xyzwxyzw")
        a.destroy()
        b.destroy()
        assert.deepEqual(proxy.counts(), { up: 12, down: 24, connections: 2 })
        assert.equal(proxy.accepted, 2)
        assert.deepEqual(new Set(proxy.chunks.map(c => c.connection)), new Set([1, 2]))
    })

    test("a window counts its own chunks, and only connections opened in it", async () => {
        const a = await dial(proxy.port)
        await exchange(a, "before", 12)
        const from = Date.now() + 1
        await new Promise(r => setTimeout(r, 5))
        await exchange(a, "in", 4)
        const b = await dial(proxy.port)
        await exchange(b, "new", 6)
        const to = Date.now() + 1
        a.destroy()
        b.destroy()
        assert.deepEqual(proxy.counts(from, to), { up: 5, down: 10, connections: 1 })
    })
})

describe("chunks split by the requests in flight", () => {
    const request = (id: string, received: number, done: number, longRunning = false): AuditRequest => ({
        id,
        user: "u",
        verb: longRunning ? "watch" : "patch",
        resource: id,
        subresource: "",
        namespace: "",
        name: "",
        uri: "/",
        received,
        done,
        longRunning,
    })
    const chunk = (at: number, up: boolean, bytes: number): Chunk => ({ at, up, bytes, connection: 1 })

    test("each chunk goes to the request it belongs to; a watch's and stray ones to the rest", () => {
        const requests = [request("lease", 1000, 1010), request("status", 5000, 5020), request("nodes", 0, 1, true)]
        const chunks = [
            chunk(999, true, 100), // the lease request, just before the server stamped it
            chunk(1012, false, 200), // its reply
            chunk(1050, false, 30), // the echo on the client's watch
            chunk(3000, false, 7), // a watch event of someone else's write
            chunk(5001, true, 400),
            chunk(5021, false, 500),
        ]
        const totals = attribute(chunks, requests, r => r.id, "rest")
        assert.deepEqual(Object.fromEntries(totals), {
            lease: { up: 100, down: 230 },
            rest: { up: 0, down: 7 },
            status: { up: 400, down: 500 },
        })
    })

    test("a reply that begins right after another request ended is its own", () => {
        // one keep-alive connection: the status post follows the renewal at once, its reply in several records
        const requests = [request("lease", 1000, 1010), request("status", 1012, 1060)]
        const chunks = [chunk(1011, false, 300), chunk(1011.5, true, 600), chunk(1030, false, 1400), chunk(1059, false, 1400), chunk(1061, false, 200)]
        const totals = attribute(chunks, requests, r => r.id, "rest")
        assert.deepEqual(Object.fromEntries(totals), { lease: { up: 0, down: 300 }, status: { up: 600, down: 3000 } })
    })
})
