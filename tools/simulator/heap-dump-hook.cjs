// Node preload for the DeviceScript CLI: prints what fills the VM's GC heap when the VM runs out
// of memory, so an OOM says more than `Exception: OutOfMemory` / `PANIC 60004`.
//   node -r ./tools/simulator/heap-dump-hook.cjs node_modules/@devicescript/cli/built/devicescript-cli.cjs run prog.ts --test
// Lines go to stderr, each starting with "heapdump: ".
//   PICOKUBELET_HEAP_DUMP_EVERY_MS=5000  also dumps every 5 s (a snapshot between VM steps)
//   kill -USR2 <pid>                     dumps now
//   PICOKUBELET_HEAP_DUMP_TOP=100000     lists that many of the largest used blocks (default 25)
//   PICOKUBELET_HEAP_DUMP_LAYOUT=1       also lists every block, free ones too, by address
"use strict"

const { findChunks, findImages, walkChunk, summarize } = require("./heap-walk.cjs")
const { onDevsVm, vms } = require("./devs-vm.cjs")

const DEVS_PANIC_OOM = 60004

function out(lines) {
    // stderr to a pipe is synchronous in Node: the lines are out before the VM goes on (or stops)
    process.stderr.write(lines.map(l => `heapdump: ${l}\n`).join(""))
}

function dump(vm, title) {
    const mem = new Uint8Array(vm.memory.buffer) // re-read: memory.grow() detaches old views
    // the heap moves only when the VM is restarted (gc re-created); re-scan then
    let heap = vm.chunk !== undefined && walkChunk(mem, vm.chunk)
    if (!heap) {
        const found = findChunks(mem)
        heap = found[0]
        if (!heap) return out([`${title}no GC heap found in ${mem.length} B of wasm memory`])
        vm.chunk = heap.chunk
        if (found.length > 1) title += `(${found.length} candidate heaps, took the live one) `
    }
    const prefix = vms.length > 1 ? `vm${vms.indexOf(vm) + 1} ` : ""
    // images are only read for names (map keys, frames): a scan per dump is cheap enough
    out(summarize(mem, heap, { title: prefix + title, images: findImages(mem), top: Number(process.env.PICOKUBELET_HEAP_DUMP_TOP) || undefined, layout: !!process.env.PICOKUBELET_HEAP_DUMP_LAYOUT }))
}

// a broken dump must not take the VM (or the devtools session) down with it
function safeDump(vm, title) {
    try {
        dump(vm, title)
    } catch (e) {
        out([`failed: ${(e && e.stack) || e}`])
    }
}

onDevsVm(vm => {
    let oom, oomStats
    // devs_panic() calls its EM_JS handler right after DMESG-ing the exception: for an OOM,
    // alloc_block has just run a GC, so the used blocks are (nearly) all live
    vm.onPanic(code => {
        if (code === DEVS_PANIC_OOM && vm.memory) {
            safeDump(vm, `OOM${oom ? ` of ${oom[1]} B` : ""} (after a GC: used = live) `)
            // devs_oom's own figures, as a check on the walk
            if (oomStats) out([`runtime's own count: ${oomStats}`])
        }
        oom = oomStats = undefined
    })
    // devs_oom logs the requested size and its heap stats to dmesg, but unmarked: the CLI shows
    // dmesg lines only with a marker ("! ", "> "...), so we pick them up here
    vm.onDmesg(line => {
        oom = /^devs: OOM \((\d+) bytes\)/.exec(line) || oom
        if (line.startsWith("stats: ")) oomStats = line.slice(7)
    })
})

const snap = vm => safeDump(vm, "snapshot (no GC: used includes garbage) ")
const every = Number(process.env.PICOKUBELET_HEAP_DUMP_EVERY_MS)
if (every > 0) setInterval(() => vms.forEach(snap), every).unref()
process.on("SIGUSR2", () => vms.forEach(snap))
