// Preloaded (node -r) into every simulator VM process: the VM collects garbage as often as the
// board's firmware does. DeviceScript's runtime collects after heap/JD_GC_FRACTION bytes of
// allocation (gc_alloc.c); the board's firmware is built with
// native/patches/devicescript-gc-fraction.patch, which raises the fraction, while the simulator's
// wasm VM is stock. Left stock, the heap figures would be those of a runtime the board does not
// run: collected only every 16 KB, a 64 KB heap fills with a request's garbage before any is
// reclaimed, objects that outlive the request land anywhere in it, and the free heap ends up in
// pieces smaller than a 1 KB socket read.
// The threshold is a field of the heap's devs_gc_t, computed once when a program's heap is
// created; it is set again there, as the patched runtime computes it, each time a program starts.
//   PICOKUBELET_BOARD_GC=stock   leaves the VM's threshold as stock DeviceScript has it (to compare)
"use strict"

const { readFileSync } = require("node:fs")
const { join } = require("node:path")
const { findChunks } = require("./heap-walk.cjs")
const { onDevsVm } = require("./devs-vm.cjs")

const PATCH = join(__dirname, "..", "..", "native", "patches", "devicescript-gc-fraction.patch")
/** gc_alloc.c's own JD_GC_FRACTION. */
const STOCK_FRACTION = 4

/** JD_GC_FRACTION as the board's firmware has it: the value the patch defines. */
function boardFraction(patchText) {
    const m = /^\+#define JD_GC_FRACTION (\d+)$/m.exec(patchText)
    if (!m) throw new Error(`${PATCH} defines no JD_GC_FRACTION`)
    return Number(m[1])
}

// devs_gc_t {first_free, first_chunk, num_alloc, gc_threshold, curr_alloc, ctx}: its chunk follows it
const GC_STRUCT_BYTES = 24
const THRESHOLD_OFFSET = 12

/**
 * Sets the threshold of the live heap in `mem` (a wasm memory's bytes) to what
 * devs_gc_add_chunk computes with `fraction`: the chunk's bytes / 4 / fraction,
 * in words. Returns the chunk's bytes, the threshold it had (as the runtime
 * computed it) and the one set, in words; undefined when no live heap is there.
 */
function setThreshold(mem, fraction) {
    const heap = findChunks(mem).find(h => h.owned)
    if (!heap) return undefined
    // the chunk's size as add_chunk got it: its FINAL word is the last word of the size
    const chunkBytes = heap.end + 4 - heap.chunk
    const view = new DataView(mem.buffer, mem.byteOffset)
    const at = heap.chunk - GC_STRUCT_BYTES + THRESHOLD_OFFSET
    const was = view.getUint32(at, true)
    const words = Math.floor(chunkBytes / 4 / fraction)
    view.setUint32(at, words, true)
    return { chunkBytes, was, words }
}

function install() {
    const fraction = boardFraction(readFileSync(PATCH, "utf8"))
    onDevsVm(vm =>
        vm.onDmesg(line => {
            // a program's heap exists once devsmgr logs its start (run_img: devs_create_ctx, then "* start:")
            if (!line.startsWith("* start:")) return
            const set = setThreshold(new Uint8Array(vm.memory.buffer), fraction)
            process.stderr.write(
                set
                    ? `board: GC every ${set.words * 4} B allocated (JD_GC_FRACTION ${fraction}, as the board's firmware), was every ${set.was * 4} B\n`
                    : `board: no GC heap found at the program's start: collecting as stock DeviceScript does\n`
            )
        })
    )
}

if (process.env.PICOKUBELET_BOARD_GC !== "stock") install()

module.exports = { boardFraction, setThreshold, PATCH, STOCK_FRACTION }
