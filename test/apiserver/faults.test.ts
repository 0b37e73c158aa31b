// Each injected fault, seen from a raw client.
import assert from "node:assert/strict"
import net from "node:net"
import { describe, test } from "node:test"
import { nodeBody, useEmulator } from "./harness"
import { call, header, RawClient, request, type RawResponse } from "./wire"

describe("fault injection", () => {
    const ctx = useEmulator()
    const admin = () => ctx.server.tokens.admin
    /** One exchange on a fresh connection (faults may kill it). */
    const once = async (method: string, path: string): Promise<RawResponse> => {
        const c = new RawClient(ctx.server)
        try {
            return await c.exchange(request(method, path, admin()))
        } finally {
            c.close()
        }
    }

    test("setup: a node whose GET is over 2048 B", async () => {
        assert.equal((await call(ctx.conn, "POST", "/api/v1/nodes", admin(), nodeBody("f1"))).status, 201)
    })

    test("delay holds the reply, once", async () => {
        ctx.server.faults.add({ path: "/version", kind: "delay", ms: 300 })
        let t = Date.now()
        assert.equal((await once("GET", "/version")).status, 200)
        assert.ok(Date.now() - t >= 290, `took ${Date.now() - t} ms`)
        t = Date.now()
        await once("GET", "/version")
        assert.ok(Date.now() - t < 200, "only the next matching request is delayed")
    })

    test("close drops the connection without a reply", async () => {
        ctx.server.faults.add({ method: "GET", path: "/api/v1/nodes/f1", kind: "close" })
        const r = await once("GET", "/api/v1/nodes/f1")
        assert.equal(r.status, 0)
        assert.equal(r.raw.length, 0)
        assert.ok(r.error)
        const entry = ctx.server.log.entries.at(-1)!
        assert.equal(entry.fault, "close")
        assert.equal(entry.status, undefined)
    })

    test("reset-mid-body sends half the reply, then a TCP RST", async () => {
        ctx.server.faults.add({ path: "/api/v1/nodes/f1", kind: "reset-mid-body" })
        const r = await once("GET", "/api/v1/nodes/f1")
        assert.equal(r.error, "ECONNRESET")
        assert.match(r.raw.toString(), /^HTTP\/1\.1 200 OK\r\n/)
        assert.ok(r.raw.length < 4000)
    })

    test("truncate-chunked ends the connection cleanly inside a chunk", async () => {
        ctx.server.faults.add({ path: /\/version$/, kind: "truncate-chunked" })
        const r = await once("GET", "/version")
        assert.equal(r.error, "end")
        assert.equal(r.framing, "chunked", "even a small body goes chunked to be truncated")
        assert.ok(!r.raw.toString().endsWith("0\r\n\r\n"))
    })

    test("status answers 503, 500 and 429 (with Retry-After) as Status objects", async () => {
        for (const [code, reason] of [[503, "ServiceUnavailable"], [500, "InternalError"], [429, "TooManyRequests"]] as const) {
            ctx.server.faults.add({ path: "/api/v1/nodes/f1", kind: "status", code, retryAfter: code === 429 ? 3 : undefined })
            const r = await call(ctx.conn, "GET", "/api/v1/nodes/f1", admin())
            assert.equal(r.status, code)
            assert.equal(r.json.kind, "Status")
            assert.equal(r.json.reason, reason)
            assert.equal(r.json.code, code)
            if (code === 429) {
                assert.equal(header(r, "retry-after"), "3")
                assert.equal(r.json.details.retryAfterSeconds, 3)
            }
        }
        assert.equal((await call(ctx.conn, "GET", "/api/v1/nodes/f1", admin())).status, 200, "the keep-alive connection survives")
    })

    test("garbage answers bytes that are not HTTP, then closes", async () => {
        ctx.server.faults.add({ path: "/version", kind: "garbage", bytes: 100 })
        const r = await once("GET", "/version")
        assert.equal(r.raw.length, 100)
        assert.equal(r.status, 0)
    })

    test("oversize pads a valid reply to 1 MiB, chunked", async () => {
        ctx.server.faults.add({ path: "/api/v1/nodes/f1", kind: "oversize" })
        const r = await call(ctx.conn, "GET", "/api/v1/nodes/f1", admin())
        assert.equal(r.status, 200)
        assert.equal(r.framing, "chunked")
        assert.equal(r.body.length, 1 << 20)
        assert.equal(r.json.kind, "Node")
    })

    test("count, method and pattern select which requests fail", async () => {
        ctx.server.faults.add({ method: "PATCH", path: "/version", kind: "status", code: 500 })
        assert.equal((await call(ctx.conn, "GET", "/version", admin())).status, 200, "method does not match")
        ctx.server.faults.clear()
        ctx.server.faults.add({ path: /^\/version$/, kind: "status", code: 503, count: 2 })
        const codes = []
        for (let i = 0; i < 3; i++) codes.push((await call(ctx.conn, "GET", "/version", admin())).status)
        assert.deepEqual(codes, [503, 503, 200])
    })

    test("refuseConnections: connects are refused for the period, then accepted again", async () => {
        await ctx.server.refuseConnections(300)
        const refused = await new Promise<string>(resolve => {
            const s = net.connect(ctx.server.port, "127.0.0.1")
            s.on("connect", () => (s.destroy(), resolve("connected")))
            s.on("error", e => resolve((e as NodeJS.ErrnoException).code ?? ""))
        })
        assert.equal(refused, "ECONNREFUSED")
        await new Promise(r => setTimeout(r, 400))
        assert.equal((await once("GET", "/version")).status, 200)
    })

    test("restart keeping state keeps objects; without state they are gone", async () => {
        await ctx.server.restart({ keepState: true })
        assert.equal((await once("GET", "/api/v1/nodes/f1")).status, 200)
        await ctx.server.restart({ keepState: false })
        assert.equal((await once("GET", "/api/v1/nodes/f1")).status, 404)
        ctx.conn = new RawClient(ctx.server)
    })
})
