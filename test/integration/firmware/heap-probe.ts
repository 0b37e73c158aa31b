// Heap-probe test firmware for bench/heap.ts: the free heap at one moment,
// which ballast bisection cannot give (it finds the peak). The kubelet runs;
// PROBE_SECS after start a fiber fills the heap 256 B at a time,
// logging each 256 B, until it runs out: the last figure logged is what was free.
import * as ds from "@devicescript/core"
import { readSetting } from "@devicescript/settings"
import { runKubelet } from "../../../src/kubelet/run"

const secs: number = await readSetting("PROBE_SECS", 20)
const held: Buffer[] = []
ds.setTimeout(() => {
    for (let i = 1; ; i++) {
        held.push(Buffer.alloc(256))
        console.log(`probe: ${i / 4} KB`)
    }
}, secs * 1000)
await runKubelet()
