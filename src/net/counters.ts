// Transport counters for logs and benchmarks.
const SAMPLES = 64

export class TransportCounters {
    requests = 0
    failures = 0
    /** Connections opened (= TLS handshakes when tls). */
    connections = 0
    /** Request bytes written (HTTP level, before TLS). */
    bytesOut = 0
    /** Response bytes read (HTTP level, after TLS). */
    bytesIn = 0
    lastLatencyMs = 0
    totalLatencyMs = 0
    /** Error counts by error name. */
    errors: Record<string, number> = {}
    /**
     * The last SAMPLES latencies as u32s, allocated whole at start: grown
     * piece by piece, the ring landed wherever the heap had a hole (540 B
     * as an array of numbers, in the middle of what a socket read needs).
     */
    private samples = Buffer.alloc(SAMPLES * 4)
    private count = 0
    private next = 0

    recordLatency(ms: number) {
        this.lastLatencyMs = ms
        this.totalLatencyMs += ms
        this.samples.setAt(this.next * 4, "u32", ms)
        if (this.count < SAMPLES) this.count++
        this.next = (this.next + 1) % SAMPLES
    }

    recordError(name: string) {
        this.failures++
        const n = this.errors[name]
        this.errors[name] = n === undefined ? 1 : n + 1
    }

    /** Median latency of the last 64 requests (0 before any). */
    medianLatencyMs(): number {
        const n = this.count
        if (n === 0) return 0
        const s: number[] = []
        for (let i = 0; i < n; i++) s.push(this.samples.getAt(i * 4, "u32"))
        // sorted here, the way Array.sort does it but without a call per
        // comparison; Array.sort would be in the image for this line alone
        for (let i = 1; i < n; i++) {
            const v = s[i]
            let j = i - 1
            for (; j >= 0 && s[j] > v; j--) s[j + 1] = s[j]
            s[j + 1] = v
        }
        return n % 2 ? s[(n - 1) >> 1] : Math.round((s[n / 2 - 1] + s[n / 2]) / 2)
    }

    /** One log line: requests=.. conns=.. out=.. in=.. lat(last/median/avg)=.. errors=.. */
    summary(): string {
        const avg = this.requests ? Math.round(this.totalLatencyMs / this.requests) : 0
        let errs = ""
        const ks = Object.keys(this.errors)
        for (let i = 0; i < ks.length; i++) errs += `${errs ? "," : ""}${ks[i]}:${this.errors[ks[i]]}`
        return (
            `requests=${this.requests} failed=${this.failures} conns=${this.connections} ` +
            `out=${this.bytesOut} in=${this.bytesIn} latency_ms(last/median/avg)=${this.lastLatencyMs}/${this.medianLatencyMs()}/${avg}` +
            ` errors=${errs || "none"}`
        )
    }
}
