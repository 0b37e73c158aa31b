// Test firmware: runs transport scenarios against the HTTPS lab of
// test/integration/transport.test.ts and logs one machine-readable line per
// scenario: "TR result <name> ok k=v ..." or "TR result <name> FAIL <why>",
// then "TR done <counters>".
import * as ds from "@devicescript/core"
import { readSetting } from "@devicescript/settings"
import { HttpClient } from "../../../src/net/client"
import { errorName } from "../../../src/net/errors"

const host: string = await readSetting("TR_HOST", "localhost")
const port: number = await readSetting("TR_PORT", 0)
const badPort: number = await readSetting("TR_BADPORT", 0)
const scen: string = await readSetting("TR_SCEN", "all")

const client = new HttpClient({ host, port, tls: true, token: "tr.0123456789abcdef", timeoutMs: 5000 })

function result(name: string, ok: boolean, detail: string) {
    console.log(`TR result ${name} ${ok ? "ok" : "FAIL"} ${detail}`)
}

function letter(i: number): string {
    return String.fromCharCode(97 + (i % 26))
}

async function expectError(fn: () => Promise<any>): Promise<any> {
    try {
        await fn()
    } catch (e) {
        return e
    }
    return null
}

async function fibers() {
    const c0 = client.counters.connections
    let done = 0
    let bad = 0
    let answered = 0
    const run = async (name: string) => {
        for (let i = 0; i < 50; i++) {
            try {
                const r = await client.fetch(`/echo/${name}${i}`)
                const j = await r.json()
                if (r.status === 200 && j.n === `${name}${i}`) answered++
                else bad++
            } catch (e: any) {
                bad++
                console.log(`TR fibers error ${e.message}`)
            }
        }
        done++
    }
    run.start("a")
    run.start("b")
    while (done < 2) await ds.sleep(20)
    const conns = client.counters.connections - c0
    result("fibers", bad === 0 && answered === 100 && conns === 1, `answered=${answered} bad=${bad} conns=${conns}`)
}

async function chunked() {
    const d = await client.fetch("/chunked5k", { bodyMode: "discard" })
    const b = await client.fetch("/chunked5k")
    const text = await b.text()
    let same = text.length === 5120
    // the lab's body is a-z repeating by position
    for (let i = 0; same && i < text.length; i += 97) if (text.charCodeAt(i) !== 97 + (i % 26)) same = false
    if (same && text.charCodeAt(5119) !== 97 + (5119 % 26)) same = false
    const ok = d.status === 200 && d.bodyBytes === 5120 && d.buffer().length === 0 && same
    result("chunked", ok, `discard_body=${d.bodyBytes} buffered_len=${text.length} intact=${same} bytesIn=${b.bytesIn}`)
    const p = await client.fetch("/chunked5k", { bodyMode: "prefix", prefixBytes: 26 })
    const pt = await p.text()
    result("prefix", pt === "abcdefghijklmnopqrstuvwxyz" && p.truncated && p.bodyBytes === 5120, `kept=${pt.length} body=${p.bodyBytes}`)
}

async function closeEach() {
    const c0 = client.counters.connections
    let ok = 0
    for (let i = 0; i < 3; i++) {
        const r = await client.fetch("/close")
        if (r.status === 200 && (await r.text()) === "ok") ok++
    }
    const after = await client.fetch("/echo/after-close")
    const conns = client.counters.connections - c0
    // the first /close reuses the connection left open by the previous scenario
    result("close", ok === 3 && after.status === 200 && conns === 3, `ok=${ok} conns=${conns}`)
}

async function reset() {
    const e = await expectError(async () => await client.fetch("/reset"))
    const next = await client.fetch("/echo/after-reset")
    result("reset", !!e && errorName(e) === "ConnectionClosedError" && next.status === 200, `error=${errorName(e)} msg=${e ? e.message : ""}`)
}

async function stall() {
    let err: any = null
    let took = 0
    let next = 0
    let nextAt = 0
    const t0 = ds.millis()
    const a = async () => {
        err = await expectError(async () => await client.fetch("/stall", { timeoutMs: 1500 }))
        took = ds.millis() - t0
    }
    const b = async () => {
        const r = await client.fetch("/echo/after-stall")
        next = r.status
        nextAt = ds.millis() - t0
    }
    a.start()
    await ds.sleep(5)
    b.start()
    while (!next || !took) await ds.sleep(20)
    const ok = errorName(err) === "TimeoutError" && took >= 1500 && took < 3000 && next === 200 && nextAt >= took
    result("stall", ok, `error=${errorName(err)} took=${took} next=${next} next_at=${nextAt} msg=${err ? err.message : ""}`)
}

async function big() {
    const e1 = await expectError(async () => await client.fetch("/big"))
    console.log(`TR big: ${e1 ? e1.message : "no error"}`)
    const n1 = await client.fetch("/echo/after-big")
    const e2 = await expectError(async () => await client.fetch("/chunked1m"))
    console.log(`TR big chunked: ${e2 ? e2.message : "no error"}`)
    const n2 = await client.fetch("/echo/after-big-chunked")
    const ok = errorName(e1) === "BodyTooLargeError" && errorName(e2) === "BodyTooLargeError" && n1.status === 200 && n2.status === 200
    result("big", ok, `length=${errorName(e1)} chunked=${errorName(e2)} msg=${e2 ? e2.message : ""}`)
}

async function badCa() {
    const other = new HttpClient({ host, port: badPort, tls: true, token: "tr.0123456789abcdef", timeoutMs: 5000 })
    const e = await expectError(async () => await other.fetch("/echo/x"))
    result("badca", errorName(e) === "TlsFailedError", `error=${errorName(e)} msg=${e ? e.message : ""}`)
    // our only socket was taken by that attempt: the main client recovers
    const r = await client.fetch("/echo/after-badca")
    result("recover", r.status === 200, `status=${r.status}`)
}

async function http10() {
    const r = await client.fetch("/http10")
    const t = await r.text()
    const next = await client.fetch("/echo/after-http10")
    result("http10", t === "hello from a close-delimited HTTP/1.0 body" && next.status === 200, `status=${r.status} text=${t}`)
}

const SCENARIOS: Record<string, () => Promise<void>> = {
    fibers,
    chunked,
    close: closeEach,
    reset,
    stall,
    big,
    badca: badCa,
    http10,
}

const names = scen === "all" ? Object.keys(SCENARIOS) : scen.split(",")
console.log(`TR start ${names.join(",")}`)
for (let i = 0; i < names.length; i++) {
    const fn = SCENARIOS[names[i]]
    try {
        if (!fn) throw new Error("unknown scenario")
        await fn()
    } catch (e: any) {
        result(names[i], false, `threw ${errorName(e)}: ${e.message}`)
    }
    await ds.sleep(10)
}
console.log(`TR done ${client.counters.summary()}`)
