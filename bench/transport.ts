// Transport benchmark: 100 small requests from the simulator with our
// keep-alive client and with DeviceScript's stock fetch, against one local
// HTTPS server that counts connections and TCP bytes (TLS included) on the
// raw sockets. Run: npx tsx bench/transport.ts
import { Simulator } from "../tools/simulator"
import { HttpsLab, makeCerts, removeCerts } from "../test/integration/lib/https-lab"

export interface TransportBench {
    lines: string[]
    ours: { connections: number; requests: number; bytesPerRequest: number; medianMs: number }
    stock: { connections: number; requests: number; bytesPerRequest: number; medianMs: number }
    goals: { requestsPerHandshake: boolean; fourTimesFewerBytes: boolean }
}

function field(line: string, name: string): number {
    const m = new RegExp(`\\b${name}=([0-9.]+)`).exec(line)
    return m ? +m[1] : NaN
}

export async function benchTransport(n = 100): Promise<TransportBench> {
    const certs = makeCerts()
    const lab = new HttpsLab(certs.good)
    let sim: Simulator | undefined
    try {
        await lab.start()
        sim = await Simulator.start({
            settings: { TR_HOST: "localhost", TR_PORT: lab.port, TR_N: n },
            entry: "test/integration/firmware/transport-bench.ts",
            vmEnv: { NODE_EXTRA_CA_CERTS: certs.caFile },
        })
        const oursLine = await sim.waitForLog(/^BENCH ours /, 120000)
        const stockLine = await sim.waitForLog(/^BENCH stock n=/, 300000)
        await sim.waitForLog(/^BENCH done/, 10000)
        const errors = sim.logs.filter(l => l.startsWith("BENCH stock error"))
        await sim.stop()
        sim = undefined
        // let the server account the last sockets
        await new Promise(r => setTimeout(r, 300))
        const o = lab.statsFor("picokubelet")
        const s = lab.statsFor("other")
        const ours = {
            connections: o.connections,
            requests: o.requests,
            bytesPerRequest: Math.round((o.tcpIn + o.tcpOut) / Math.max(1, o.requests)),
            medianMs: field(oursLine, "median_ms"),
        }
        const stock = {
            connections: s.connections,
            requests: s.requests,
            bytesPerRequest: Math.round((s.tcpIn + s.tcpOut) / Math.max(1, s.requests)),
            medianMs: field(stockLine, "median_ms"),
        }
        const perHandshake = ours.requests / Math.max(1, ours.connections)
        const bytesRatio = stock.bytesPerRequest / Math.max(1, ours.bytesPerRequest)
        const lines = [
            `transport bench: ${n} small GETs over TLS from the simulator, bytes counted on the server's TCP sockets`,
            `  picokubelet client: ${ours.requests} requests, ${ours.connections} connection(s) (TLS handshakes), ` +
                `${o.tcpOut + o.tcpIn} B on the wire (${o.tcpIn} up, ${o.tcpOut} down), ${ours.bytesPerRequest} B/request, median ${ours.medianMs} ms  [${oursLine}]`,
            `  stock fetch():      ${stock.requests} requests, ${stock.connections} connection(s) (TLS handshakes), ` +
                `${s.tcpOut + s.tcpIn} B on the wire (${s.tcpIn} up, ${s.tcpOut} down), ${stock.bytesPerRequest} B/request, median ${stock.medianMs} ms` +
                (errors.length ? `, ${errors.length} errors` : ""),
            `  ratios: ${perHandshake.toFixed(0)} requests per handshake (goal >= 100), ` +
                `${bytesRatio.toFixed(1)}x fewer bytes per request (goal >= 4), ` +
                `median latency ${(stock.medianMs / Math.max(1, ours.medianMs)).toFixed(1)}x lower`,
        ]
        return {
            lines,
            ours,
            stock,
            goals: { requestsPerHandshake: perHandshake >= 100, fourTimesFewerBytes: bytesRatio >= 4 },
        }
    } finally {
        await sim?.stop()
        await lab.close()
        removeCerts(certs)
    }
}

if (require.main === module) {
    benchTransport().then(
        r => {
            for (const l of r.lines) console.log(l)
            process.exit(r.goals.requestsPerHandshake && r.goals.fourTimesFewerBytes ? 0 : 1)
        },
        e => {
            console.error(e)
            process.exit(1)
        }
    )
}
