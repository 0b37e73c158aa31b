import * as ds from "@devicescript/core"
import { describe, expect, test } from "../harness"
import { expectContains, expectEqual, expectNotContains } from "../matchers"
import { FakeServer, chunked, repeat, response } from "./fake-wire"
import { HttpClient, Response } from "../../../src/net/client"
import { MAX_WRITE } from "../../../src/net/wire"

const TOKEN = "abcdef.0123456789abcdef"

function client(server: FakeServer, timeoutMs?: number, maxBody?: number) {
    return new HttpClient({ host: "k3s.test", port: 6443, token: TOKEN, dialer: server, timeoutMs, maxBody })
}

async function failure(fn: () => Promise<any>): Promise<any> {
    try {
        await fn()
    } catch (e) {
        return e
    }
    return undefined
}

function noToken(e: any) {
    expectNotContains(e.message, TOKEN, "error message")
    expectNotContains(e.message, "0123456789abcdef", "error message")
}

async function waitFor(cond: () => boolean, ms: number) {
    const until = ds.millis() + ms
    while (!cond() && ds.millis() < until) await ds.sleep(5)
}

describe("client: one keep-alive connection", () => {
    test("two fibers, 40 requests: one connection, FIFO, every answer to its caller", async () => {
        const server = new FakeServer()
        const c = client(server)
        const got: string[] = []
        let done = 0
        const run = async (name: string) => {
            for (let i = 0; i < 20; i++) {
                const r = await c.fetch(`/${name}/${i}`)
                got.push(`${name}/${i}=${await r.text()}`)
            }
            done++
        }
        run.start("a")
        run.start("b")
        await waitFor(() => done === 2, 10000)
        expectEqual(done, 2)
        expectEqual(server.dials, 1)
        expectEqual(c.counters.connections, 1)
        expectEqual(c.counters.requests, 40)
        expectEqual(got.length, 40)
        got.forEach(g => {
            const eq = g.indexOf("=")
            expectEqual("/" + g.slice(0, eq), g.slice(eq + 1))
        })
        // arrival order: the fibers alternate
        for (let i = 0; i < 40; i++) expectEqual(server.requests[i].path, `/${i % 2 ? "b" : "a"}/${i >> 1}`)
        expectContains(server.requests[0].head, `Authorization: Bearer ${TOKEN}\r\n`)
        expectContains(server.requests[0].head, "User-Agent: picokubelet/0.1.0\r\n")
    })
    test("response fields: status, ok, headers.get, json, byte counts, Date", async () => {
        const server = new FakeServer()
        server.handler = r => r.wire.deliver(response(404, '{"kind":"Status","code":404}', "Content-Type: application/json\r\n"), 7)
        const c = client(server)
        const r = await c.fetch("/api/v1/nodes/x", { method: "PATCH", body: { spec: {} } })
        expectEqual(r.status, 404)
        expectEqual(r.ok, false)
        expectEqual(r.headers.get("date"), "Fri, 20 Nov 2026 22:37:15 GMT")
        expectEqual((await r.json()).code, 404)
        expectEqual(r.bodyBytes, 28)
        expect(r.bytesIn > 28).toBe(true)
        expectEqual(r.bytesOut, c.counters.bytesOut)
        expectEqual(server.requests[0].body, '{"spec":{}}')
        expectContains(server.requests[0].head, "Content-Type: application/json\r\nContent-Length: 11\r\n")
    })
    test("Connection: close from the server: the next request reconnects", async () => {
        const server = new FakeServer()
        server.handler = r => r.wire.deliver(response(200, "ok", "Connection: close\r\n"))
        const c = client(server)
        for (let i = 0; i < 3; i++) expectEqual((await c.fetch("/x")).status, 200)
        expectEqual(server.dials, 3)
        expect(server.wires[0].clientClosed).toBe(true)
    })
    test("a kept-alive connection the server closed while idle is replaced transparently", async () => {
        const server = new FakeServer()
        const c = client(server)
        // the close was seen by the socket layer before the next request
        server.handler = r => {
            r.wire.deliver(response(200, r.path))
            if (r.path === "/1") r.wire.closeNoticed()
        }
        expectEqual(await (await c.fetch("/1")).text(), "/1")
        expectEqual(await (await c.fetch("/2")).text(), "/2")
        expectEqual(server.dials, 2)
        // the race: the close shows only when reading the answer
        let first = true
        server.handler = r => {
            if (r.path === "/3" && first) {
                first = false
                r.wire.hangUp()
            } else r.wire.deliver(response(200, r.path))
        }
        const r3 = await c.fetch("/3")
        expectEqual(await r3.text(), "/3")
        expectEqual(r3.reused, false)
        expectEqual(server.dials, 3)
        expectEqual(c.counters.failures, 0)
        expectEqual(c.counters.requests, 3)
    })
    test("a body function is called when its request goes out, again when it is retried, never while it waits", async () => {
        const server = new FakeServer()
        const c = client(server)
        let built = 0
        let builtWhileFirstRan = -1
        let hungUp = false
        server.handler = r => {
            if (r.path === "/slow")
                ds.setTimeout(() => {
                    builtWhileFirstRan = built
                    r.wire.deliver(response(200, "slow"))
                }, 50)
            else if (r.path === "/b" && !hungUp) {
                // the kept-alive connection was closed under it
                hungUp = true
                r.wire.hangUp()
            } else r.wire.deliver(response(200, r.body))
        }
        await c.fetch("/a")
        let got = ""
        let done = 0
        const run = async (path: string, body: any) => {
            const res = await c.fetch(path, { method: "PATCH", body })
            if (path === "/b") got = await res.text()
            done++
        }
        run.start("/slow", "{}")
        run.start("/b", () => '{"n":' + ++built + "}")
        await waitFor(() => done === 2, 5000)
        // queued behind /slow: not built until its turn came
        expectEqual(builtWhileFirstRan, 0)
        // retried on a new connection, with the body built again
        expectEqual([got, built], ['{"n":2}', 2])
    })
    test("the server closes mid-body: that request fails clearly, the next succeeds", async () => {
        const server = new FakeServer()
        server.handler = r => {
            if (r.path === "/cut") {
                r.wire.deliver(response(200, repeat("x", 100)).slice(0, 120))
                r.wire.hangUp()
            } else r.wire.deliver(response(200, "fine"))
        }
        const c = client(server)
        await c.fetch("/warm")
        const e = await failure(async () => await c.fetch("/cut"))
        expectEqual(e.name, "ConnectionClosedError")
        expectContains(e.message, "k3s.test:6443 GET /cut: body: server closed the connection after")
        expectContains(e.message, "of 100 body bytes")
        noToken(e)
        expectEqual(await (await c.fetch("/after")).text(), "fine")
        expectEqual(server.dials, 2)
        expectEqual(c.counters.errors["ConnectionClosedError"], 1)
    })
    test("a reset mid-body is a ConnectionClosedError with the socket's reason", async () => {
        const server = new FakeServer()
        server.handler = r => {
            r.wire.deliver(response(200, repeat("x", 100)).slice(0, 90))
            r.wire.fail("socket tls://k3s.test:6443: tls://k3s.test:6443: read ECONNRESET")
        }
        const e = await failure(async () => await client(server).fetch("/reset"))
        expectEqual(e.name, "ConnectionClosedError")
        expectContains(e.message, "read ECONNRESET")
    })
    test("a stalled server: Timeout at the deadline, the queue moves on", async () => {
        const server = new FakeServer()
        server.handler = r => {
            if (r.path !== "/stall") r.wire.deliver(response(200, "next"))
        }
        const c = client(server, 300)
        let second: Response = null
        let e: any = null
        let waited = 0
        const t0 = ds.millis()
        const stall = async () => {
            e = await failure(async () => await c.fetch("/stall"))
            waited = ds.millis() - t0
        }
        const other = async () => {
            second = await c.fetch("/next")
        }
        stall.start()
        await ds.sleep(2)
        other.start()
        await waitFor(() => !!e, 3000)
        expectEqual(e.name, "TimeoutError")
        expectContains(e.message, "GET /stall: headers: no complete response within 300 ms")
        expect(waited >= 300 && waited < 1500).toBe(true)
        await waitFor(() => !!second, 2000)
        expectEqual(await second.text(), "next")
        expectEqual(server.dials, 2)
    })
    test("a body over the cap: BodyTooLarge, connection dropped, next request works", async () => {
        const server = new FakeServer()
        server.handler = r => {
            if (r.path === "/big") r.wire.deliverChunked("y", 9000, 1000)
            else r.wire.deliver(response(200, "small"))
        }
        const c = client(server, 5000, 4096)
        const e = await failure(async () => await c.fetch("/big"))
        expectEqual(e.name, "BodyTooLargeError")
        expectContains(e.message, "exceeds the 4096-byte cap")
        expect(server.wires[0].clientClosed).toBe(true)
        expectEqual(await (await c.fetch("/x")).text(), "small")
        // the same body in discard mode streams through
        const d = await c.fetch("/big", { bodyMode: "discard" })
        expectEqual(d.bodyBytes, 9000)
        expectEqual((await d.text()).length, 0)
        const p = await c.fetch("/big", { bodyMode: "prefix", prefixBytes: 10 })
        expectEqual(await p.text(), "yyyyyyyyyy")
        expectEqual(p.truncated, true)
    })
    test("one 8 KB read of 1-byte chunks is parsed a slice at a time (opcode watchdog)", async () => {
        // fuzz finding: a 1.8 KB read of "1\r\nx\r\n" in one push was an InfiniteLoop panic
        const server = new FakeServer()
        server.handler = r => r.wire.deliver(chunked(repeat("x", 1400), 1))
        const r = await client(server).fetch("/tiny", { bodyMode: "discard" })
        expectEqual(r.bodyBytes, 1400)
    })
    test("request bodies are written in pieces under 4 KB", async () => {
        const server = new FakeServer()
        const c = client(server)
        // a Buffer body: no 5 KB strings in a heap other suites share
        const body = Buffer.alloc(4500)
        body.fillAt(0, 4500, 122)
        await c.fetch("/post", { method: "POST", body, headers: { "Content-Type": "text/plain" } })
        const w = server.wires[0].writes
        // the head on its own (a large body is not copied next to it), then 2048 + 2048 + 404
        expectEqual(w.length, 4)
        w.forEach(n => expect(n <= MAX_WRITE).toBe(true))
        const got = server.requests[0].body
        expectEqual(got.length, 4500)
        expect(got.charCodeAt(0) === 122 && got.charCodeAt(4499) === 122).toBe(true)
        // a small request goes out in one write
        await c.fetch("/small", { method: "PATCH", body: "{}" })
        expectEqual(w.length, 5)
    })
    test("a large string body is written from itself after the head, its length counted in UTF-8 bytes", async () => {
        const server = new FakeServer()
        const c = client(server)
        let big = '{"message":"héllo ✓'
        while (big.length < 2500) big += " padding"
        big += '"}'
        await c.fetch("/status", { method: "PATCH", body: big })
        const r = server.requests[0]
        expectContains(r.head, `Content-Length: ${big.byteLength}\r\n`)
        expectEqual(big.byteLength, big.length + 3)
        expectEqual(r.body, big)
        // the head alone, then the body cut by characters into writes of at most MAX_WRITE bytes
        const w = server.wires[0].writes
        expectEqual(w[0], r.head.length)
        let sum = 0
        for (let i = 1; i < w.length; i++) {
            expect(w[i] <= MAX_WRITE).toBe(true)
            sum += w[i]
        }
        expectEqual(sum, big.byteLength)
        expectEqual(c.counters.bytesOut, r.head.length + big.byteLength)
        // a small string body shares the head's write
        const before = w.length
        await c.fetch("/small", { method: "PATCH", body: '{"a":"✓"}' })
        expectEqual(w.length, before + 1)
        expectEqual(server.requests[1].body, '{"a":"✓"}')
    })
    test("a body in pieces: joined into writes of at most 512 B with the head, never into one string; a longer piece alone", async () => {
        const server = new FakeServer()
        const c = client(server)
        const a = repeat("a", 200)
        const b = repeat("b", 700)
        const pieces = ['{"x":["', a, '","', b, '","', a, '"]}']
        await c.fetch("/pieces", { method: "PATCH", body: () => pieces })
        const r = server.requests[0]
        expectEqual(r.body, pieces.join(""))
        expectContains(r.head, `Content-Length: ${pieces.join("").length}\r\n`)
        // head + '{"x":["' + a + '","'; then b alone; then '","' + a + '"]}'
        expectEqual(server.wires[0].writes, [r.head.length + 7 + 200 + 3, 700, 3 + 200 + 3])
    })
})

describe("client: connection failures", () => {
    test("refused, certificate and timeout are told apart", async () => {
        const server = new FakeServer()
        const c = client(server)
        server.failDial = "socket tls://k3s.test:6443: tls://k3s.test:6443: connect ECONNREFUSED 127.0.0.1:6443"
        let e = await failure(async () => await c.fetch("/a"))
        expectEqual(e.name, "ConnectFailedError")
        expectEqual(e.message, "ConnectFailedError: k3s.test:6443 GET /a: connect: connect ECONNREFUSED 127.0.0.1:6443")
        server.failDial = "socket tls://k3s.test:6443: tls://k3s.test:6443: self-signed certificate in certificate chain"
        e = await failure(async () => await c.fetch("/a"))
        expectEqual(e.name, "TlsFailedError")
        expectContains(e.message, "self-signed certificate")
        server.failDial = "socket tls://k3s.test:6443: Timeout"
        e = await failure(async () => await c.fetch("/a"))
        expectEqual(e.name, "TimeoutError")
        noToken(e)
        server.failDial = null
        // the simulator reports a bad certificate after "open", on the first read
        server.handler = r => r.wire.fail("socket tls://k3s.test:6443: tls://k3s.test:6443: unable to verify the first certificate")
        e = await failure(async () => await c.fetch("/a"))
        expectEqual(e.name, "TlsFailedError")
        expectEqual(c.counters.errors["TlsFailedError"], 2)
        expectEqual(c.counters.failures, 4)
    })
    test("drop() closes the connection on demand; the next request reconnects", async () => {
        const server = new FakeServer()
        const c = client(server)
        await c.fetch("/a")
        expect(server.wires[0].clientClosed).toBe(false)
        await c.drop()
        expect(server.wires[0].clientClosed).toBe(true)
        await c.fetch("/b")
        expectEqual(server.dials, 2)
    })
})
