import assert from "node:assert/strict"
import { after, before, describe, test } from "node:test"
import { Simulator } from "../../tools/simulator"
import { HttpsLab, LabCerts, makeCerts, removeCerts } from "./lib/https-lab"

// The transport (src/net) in the simulator against a local HTTPS lab whose
// CA is trusted only through NODE_EXTRA_CA_CERTS in the VM's environment.
// One deploy runs every scenario; each logs "TR result <name> ok|FAIL ...".

const SCENARIOS = ["fibers", "chunked", "prefix", "close", "reset", "stall", "big", "badca", "recover", "http10"]

describe("transport in the simulator", () => {
    let certs: LabCerts | undefined
    let lab: HttpsLab | undefined
    let rogue: HttpsLab | undefined
    let sim: Simulator | undefined
    const results = new Map<string, { ok: boolean; detail: string }>()
    let summary = ""

    before(async () => {
        certs = makeCerts()
        lab = new HttpsLab(certs.good)
        rogue = new HttpsLab(certs.other)
        await lab.start()
        await rogue.start()
        sim = await Simulator.start({
            settings: { TR_HOST: "localhost", TR_PORT: lab.port, TR_BADPORT: rogue.port, TR_SCEN: process.env.TR_SCEN ?? "all" },
            entry: "test/integration/firmware/transport.ts",
            vmEnv: { NODE_EXTRA_CA_CERTS: certs.caFile },
            onLog: l => {
                if (process.env.TR_VERBOSE) console.log(`  vm: ${l}`)
                const m = /^TR result (\S+) (ok|FAIL) ?(.*)$/.exec(l)
                if (m) results.set(m[1], { ok: m[2] === "ok", detail: m[3] })
            },
        })
        summary = await sim.waitForLog(/^TR done /, 90000)
    })

    after(async () => {
        await sim?.stop()
        await lab?.close()
        await rogue?.close()
        if (certs) removeCerts(certs)
    })

    function check(name: string, extra?: (detail: string) => void) {
        const r = results.get(name)
        assert.ok(r, `no result for ${name}; logs:\n${sim?.logs.slice(-30).join("\n")}`)
        assert.ok(r.ok, `${name}: ${r.detail}`)
        extra?.(r.detail)
    }

    test("every scenario reported, nothing panicked, the token never logged", () => {
        for (const s of SCENARIOS) assert.ok(results.has(s), `missing ${s}`)
        const logs = sim!.logs.join("\n")
        assert.doesNotMatch(logs, /PANIC|Unhandled exception|OutOfMemory/)
        assert.ok(!logs.includes("0123456789abcdef"), "token leaked into the logs")
        assert.match(summary, /requests=\d+/)
    })
    test("two fibers, 100 requests: exactly one connection, every answer to its caller", () => {
        check("fibers", d => assert.match(d, /answered=100 bad=0 conns=1/))
        // the server saw them all, with the bearer token, over few connections in total
        const echo = lab!.requests.filter(r => /^\/echo\/[ab]\d+$/.test(r.path))
        assert.equal(echo.length, 100)
        assert.equal(echo[0].headers["authorization"], "Bearer tr.0123456789abcdef")
        assert.equal(echo[0].headers["user-agent"], "picokubelet/0.1.0")
    })
    test("5 KB chunked body, boundaries split across reads: discard, buffered and prefix modes", () => {
        check("chunked", d => assert.match(d, /discard_body=5120 buffered_len=5120 intact=true/))
        check("prefix")
    })
    test("server closes after each response: transparent reconnect", () => check("close", d => assert.match(d, /ok=3 conns=3/)))
    test("server resets mid-body: that request fails clearly, the next succeeds", () =>
        check("reset", d => assert.match(d, /ConnectionClosedError.*localhost:\d+ GET \/reset: body/)))
    test("server stalls: Timeout at the deadline, the queued request goes next", () =>
        check("stall", d => assert.match(d, /error=TimeoutError .*next=200/)))
    test("1 MB bodies (Content-Length and chunked): BodyTooLarge, program alive, next request works", () =>
        check("big", d => assert.match(d, /length=BodyTooLargeError chunked=BodyTooLargeError/)))
    test("certificate from another CA: TlsFailed with a readable message; main client recovers", () => {
        check("badca", d => assert.match(d, /TlsFailedError: localhost:\d+ GET \/echo\/x: connect: .*(certificate|verify)/i))
        check("recover")
    })
    test("HTTP/1.0 close-delimited reply", () => check("http10"))
})
