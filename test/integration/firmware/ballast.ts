// Heap-headroom test firmware for bench/heap.ts: takes BALLAST_KB kilobytes
// of the GC heap before the kubelet starts and holds them for the whole run,
// so the kubelet lives in what is left. The ballast is 1 KB Buffers rather
// than one block: the heap must have the room, not one contiguous hole.
import { readSetting } from "@devicescript/settings"
import { runKubelet } from "../../../src/kubelet/run"

const kb: number = await readSetting("BALLAST_KB", 0)
const ballast: Buffer[] = []
for (let i = 0; i < kb; i++) ballast.push(Buffer.alloc(1024))
console.log(`ballast: ${ballast.length} KB held`)
await runKubelet()
// keeps the ballast reachable after runKubelet returns (its fibers run on)
console.log(`ballast: still ${ballast.length} KB held`)
