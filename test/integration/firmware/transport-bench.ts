// Benchmark firmware: the same 100 small requests with picokubelet's
// HttpClient (one keep-alive TLS connection) and with DeviceScript's stock
// fetch (Connection: close, a TLS handshake per request). Logs
// "BENCH <which> ..." lines for bench/transport.ts.
import * as ds from "@devicescript/core"
import { readSetting } from "@devicescript/settings"
import { fetch } from "@devicescript/net"
import { HttpClient } from "../../../src/net/client"

const host: string = await readSetting("TR_HOST", "localhost")
const port: number = await readSetting("TR_PORT", 0)
const N: number = await readSetting("TR_N", 100)

function median(xs: number[]): number {
    const s = xs.slice(0)
    s.sort((a, b) => a - b)
    const n = s.length
    return n % 2 ? s[(n - 1) >> 1] : (s[n / 2 - 1] + s[n / 2]) / 2
}

const client = new HttpClient({ host, port, tls: true, token: "bench.0123456789abcdef" })
let lat: number[] = []
let ok = 0
let t0 = ds.millis()
for (let i = 0; i < N; i++) {
    const s = ds.millis()
    const r = await client.fetch(`/echo/${i}`)
    const j = await r.json()
    if (r.status === 200 && j.n === `${i}`) ok++
    lat.push(ds.millis() - s)
}
console.log(`BENCH ours n=${N} ok=${ok} conns=${client.counters.connections} median_ms=${median(lat)} total_ms=${ds.millis() - t0} http_out=${client.counters.bytesOut} http_in=${client.counters.bytesIn}`)
await client.drop()
await ds.sleep(200)

lat = []
ok = 0
t0 = ds.millis()
for (let i = 0; i < N; i++) {
    const s = ds.millis()
    try {
        const r = await fetch(`https://${host}:${port}/echo/${i}`, { headers: { Authorization: "Bearer bench.0123456789abcdef", Accept: "application/json" } })
        const j = JSON.parse(await r.text())
        if (r.status === 200 && j.n === `${i}`) ok++
    } catch (e: any) {
        console.log(`BENCH stock error ${e.message}`)
    }
    lat.push(ds.millis() - s)
}
console.log(`BENCH stock n=${N} ok=${ok} conns=${N} median_ms=${median(lat)} total_ms=${ds.millis() - t0}`)
await ds.sleep(200)
console.log("BENCH done")
