// Reads DeviceScript's GC heap out of the VM's wasm linear memory, from the host side.
// Layouts are those of runtime/devicescript/gc_alloc.c, devs_objects.h and devs_internal.h
// (DeviceScript 2.16, the 32-bit wasm build: 4-byte words and pointers, 8-byte value_t).
// Plain CommonJS so the preload (heap-dump-hook.cjs) can load it without tsx, and the node
// tests can exercise it on a synthetic memory image.
"use strict"

const TAG_POS = 24
const TAG_MASK = 0x0f
const MASK_PINNED = 0x40
// a chunk's last word: DEVS_GC_MK_TAG_WORDS(DEVS_GC_TAG_FINAL, 1)
const FINAL_HEADER = ((TAG_MASK | MASK_PINNED) << TAG_POS) | 1
const TAG = {
    FREE: 1, BYTES: 2, ARRAY: 3, MAP: 4, BUFFER: 5, STRING: 6, BOUND_FUNCTION: 7, ACTIVATION: 8,
    HALF_STATIC_MAP: 9, SHORT_MAP: 10, PACKET: 11, STRING_JMP: 12, IMAGE: 13,
}
const TAG_KIND = {
    1: "free", 2: "bytes", 3: "array", 4: "map", 5: "buffer", 6: "string", 7: "function",
    8: "activation", 9: "map", 10: "map", 11: "packet", 12: "string", 13: "image",
}
// DEVS_UTF8_TABLE_SHIFT: a utf8 string keeps one jump-table entry per 16 code points
const UTF8_TABLE_SHIFT = 4

const u32 = (mem, a) => (mem[a] | (mem[a + 1] << 8) | (mem[a + 2] << 16) | (mem[a + 3] << 24)) >>> 0
const u16 = (mem, a) => mem[a] | (mem[a + 1] << 8)

/**
 * The blocks of the chunk at `chunk` (a chunk_t: next, end, blocks...), or null unless they
 * form one unbroken chain of well-formed headers that ends exactly on a FINAL header: that full
 * chain is what makes a chunk found by scanning trustworthy.
 */
function walkChunk(mem, chunk) {
    if (chunk % 4 || chunk + 8 > mem.length) return null
    const end = u32(mem, chunk + 4)
    if (end % 4 || end <= chunk + 8 || end + 4 > mem.length || u32(mem, end) !== FINAL_HEADER) return null
    const blocks = []
    for (let b = chunk + 8; b !== end; ) {
        if (b > end) return null
        const h = u32(mem, b)
        const words = h & 0xffffff
        const tag = (h >>> TAG_POS) & TAG_MASK
        if (words === 0 || !TAG_KIND[tag]) return null
        blocks.push({ addr: b, tag, flags: (h >>> TAG_POS) & 0xf0, bytes: words * 4 })
        b += words * 4
    }
    return { chunk, next: u32(mem, chunk), end, blocks }
}

/**
 * Chunks found by scanning memory: every FINAL header, then every word that points at one
 * (a chunk's `end` field). We scan rather than follow the runtime's devs_gc_t because nothing
 * the wasm exports points at it and its layout is private to gc_alloc.c; the chunk layout and
 * the FINAL header are what the runtime itself walks. The heap a VM restart freed can still
 * validate, so the caller prefers the chunk whose devs_gc_t (just before it) points back at it.
 */
function findChunks(mem) {
    const words = new Uint32Array(mem.buffer, mem.byteOffset, mem.length >>> 2)
    const finals = new Set()
    for (let i = 0; i < words.length; i++) if (words[i] === FINAL_HEADER) finals.add(i * 4)
    if (!finals.size) return []
    const found = []
    for (let i = 1; i < words.length; i++) {
        if (!finals.has(words[i]) || words[i] <= i * 4) continue
        const heap = walkChunk(mem, (i - 1) * 4)
        if (heap) {
            // devs_gc_t {first_free, first_chunk, ...} sits right before its first chunk
            heap.owned = heap.chunk >= 24 && u32(mem, heap.chunk - 20) === heap.chunk
            found.push(heap)
        }
    }
    return found.sort((a, b) => Number(b.owned) - Number(a.owned) || b.end - b.chunk - (a.end - a.chunk))
}

function printable(mem, from, len, max) {
    let s = ""
    for (let i = 0; i < Math.min(len, max); i++) {
        const c = mem[from + i]
        s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : "."
    }
    return len > max ? s + "..." : s
}

/** Classifies blocks (bytes blocks by their owner: arrays' and maps' element storage) and describes each. */
function describe(mem, heap, previewBytes = 60) {
    const byAddr = new Map(heap.blocks.map(b => [b.addr, b]))
    const own = (dataPtr, kind, owner) => {
        const b = dataPtr && byAddr.get(dataPtr - 4)
        if (b && b.tag === TAG.BYTES) {
            b.kind = kind
            b.owner = owner
        }
    }
    for (const b of heap.blocks) b.kind = TAG_KIND[b.tag]
    for (const b of heap.blocks) {
        const a = b.addr
        switch (b.tag) {
            case TAG.BUFFER: {
                const len = u16(mem, a + 4)
                b.info = `len=${len} "${printable(mem, a + 12, Math.min(len, b.bytes - 12), previewBytes)}"`
                break
            }
            case TAG.STRING: {
                const len = u16(mem, a + 4)
                b.info = `len=${len} "${printable(mem, a + 6, Math.min(len, b.bytes - 6), previewBytes)}"`
                break
            }
            case TAG.STRING_JMP: {
                const size = u16(mem, a + 4), length = u16(mem, a + 6)
                const data = a + 8 + 2 * (length >> UTF8_TABLE_SHIFT)
                b.info = `utf8 size=${size} chars=${length} "${printable(mem, data, Math.min(size, a + b.bytes - data), previewBytes)}"`
                break
            }
            case TAG.ARRAY:
                b.info = `len=${u16(mem, a + 8)} cap=${u16(mem, a + 10)}`
                own(u32(mem, a + 12), "array-data", a)
                break
            case TAG.MAP:
            case TAG.HALF_STATIC_MAP:
            case TAG.SHORT_MAP:
                b.info = `props=${u16(mem, a + 8)} cap=${u16(mem, a + 10)} proto=0x${u32(mem, a + 4).toString(16)}`
                own(u32(mem, a + 12), "map-data", a)
                break
            case TAG.ACTIVATION: {
                // header, u16 pc, u16 maxpc, closure, caller, func, then 8-byte slots from +24;
                // func is the function's descriptor in the image, whose first word is the
                // function's code offset in the image (as the compiler's .dbg.json has it)
                const func = u32(mem, a + 16)
                const code = func && func + 4 <= mem.length ? u32(mem, func) : 0
                b.info = `fn code@${code} pc=${u16(mem, a + 4) - code} slots=${(b.bytes - 24) >> 3}`
                break
            }
            case TAG.PACKET:
                b.info = `cmd=0x${u16(mem, a + 16).toString(16)}`
                break
        }
    }
    for (const b of heap.blocks) {
        if (b.owner !== undefined) b.info = `of ${b.kind === "array-data" ? "array" : "map"} @0x${b.owner.toString(16)}`
        else if (b.kind === "bytes") b.info = b.flags & MASK_PINNED ? "pinned (runtime-internal)" : "unowned"
    }
    return heap
}

const KIND_ORDER = ["buffer", "string", "array", "array-data", "map", "map-data", "activation", "packet", "function", "bytes", "image", "free"]

/** The dump as lines (without the "heapdump: " prefix). */
function summarize(mem, heap, { title = "", top = 25, previewBytes = 60 } = {}) {
    describe(mem, heap, previewBytes)
    const kinds = new Map()
    let used = 0, free = 0, largestFree = 0, nfree = 0
    for (const b of heap.blocks) {
        const k = kinds.get(b.kind) || { n: 0, bytes: 0 }
        k.n++
        k.bytes += b.bytes
        kinds.set(b.kind, k)
        if (b.kind === "free") {
            free += b.bytes
            nfree++
            largestFree = Math.max(largestFree, b.bytes)
        } else used += b.bytes
    }
    const total = heap.end + 4 - heap.chunk
    const lines = [
        `${title}heap @0x${heap.chunk.toString(16)} ${total} B: used ${used} B in ${heap.blocks.length - nfree} blocks, ` +
            `free ${free} B in ${nfree} blocks, largest free ${largestFree} B`,
    ]
    const order = [...kinds.keys()].sort((a, b) => KIND_ORDER.indexOf(a) - KIND_ORDER.indexOf(b))
    lines.push("by kind: " + order.map(k => `${k} ${kinds.get(k).bytes} B/${kinds.get(k).n}`).join(", "))
    const hist = new Map()
    for (const b of heap.blocks) {
        if (b.kind === "free") continue
        let cap = 16
        while (cap < b.bytes) cap *= 2
        const h = hist.get(cap) || { n: 0, bytes: 0 }
        h.n++
        h.bytes += b.bytes
        hist.set(cap, h)
    }
    lines.push("sizes: " + [...hist.keys()].sort((a, b) => a - b).map(c => `<=${c} B: ${hist.get(c).n} (${hist.get(c).bytes} B)`).join(", "))
    const live = heap.blocks.filter(b => b.kind !== "free").sort((a, b) => b.bytes - a.bytes || a.addr - b.addr)
    lines.push(`largest ${Math.min(top, live.length)} of ${live.length} used blocks:`)
    for (const b of live.slice(0, top))
        lines.push(`  ${String(b.bytes).padStart(5)} B ${b.kind.padEnd(10)} @0x${b.addr.toString(16)}${b.info ? " " + b.info : ""}`)
    return lines
}

module.exports = { FINAL_HEADER, TAG, walkChunk, findChunks, describe, summarize }
