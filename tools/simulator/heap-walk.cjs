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

// the program image (devs_img_header_t): two magic words, then 10 sections {start, length} at +32
const IMG_MAGIC0 = 0x53766544 // "DevS"
const IMG_MAGIC1 = 0xf1296e0a
const SECT = { FUNCTIONS: 0, ASCII_STRINGS: 4, UTF8_STRINGS: 5, STRING_DATA: 7 }
const STRIDX_SHIFT = 14
const STRIDX = { BUFFER: 0, BUILTIN: 1, ASCII: 2, UTF8: 3 }
const HANDLE = { IMG_BUFFERISH: 4, GC_OBJECT: 8 }

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

/** Addresses of program images in memory (several copies may sit there: flash, a deploy's buffer). */
function findImages(mem) {
    const words = new Uint32Array(mem.buffer, mem.byteOffset, mem.length >>> 2)
    const found = []
    for (let i = 0; i + 1 < words.length; i++) if (words[i] === IMG_MAGIC0 && words[i + 1] === IMG_MAGIC1) found.push(i * 4)
    return found
}

const section = (mem, img, i) => ({ start: img + u32(mem, img + 32 + 8 * i), length: u32(mem, img + 36 + 8 * i) })

/** An image string by its index (DEVS_STRIDX_* << 14 | n), as vm_main.c's devs_img_get_utf8 finds it. */
function imageString(mem, img, stridx) {
    const tp = stridx >> STRIDX_SHIFT, idx = stridx & ((1 << STRIDX_SHIFT) - 1)
    const data = section(mem, img, SECT.STRING_DATA).start
    let from, len
    if (tp === STRIDX.ASCII) {
        from = data + u16(mem, section(mem, img, SECT.ASCII_STRINGS).start + 2 * idx)
        len = 0
        while (len < 40 && from + len < mem.length && mem[from + len]) len++
    } else if (tp === STRIDX.UTF8) {
        const s = data + u32(mem, section(mem, img, SECT.UTF8_STRINGS).start + 4 * idx)
        len = u16(mem, s)
        from = s + 4 + 2 * (u16(mem, s + 2) >> UTF8_TABLE_SHIFT)
    } else return tp === STRIDX.BUILTIN ? `builtin#${idx}` : `buffer#${idx}`
    return from + len <= mem.length ? printable(mem, from, len, 40) : "?"
}

/** A value_t (a map's key) as text: image and heap strings by their text, else a short tag. */
function valueText(mem, img, a) {
    const lo = u32(mem, a), hi = u32(mem, a + 4)
    if (hi === 0xffffffff) return String(lo | 0) // tagged int
    if ((hi >>> 20) & 0x7ff) return "<num>"
    const type = hi & 0xf
    if (type === HANDLE.IMG_BUFFERISH && img !== undefined) return imageString(mem, img, lo)
    if (type === HANDLE.GC_OBJECT && lo + 8 <= mem.length) {
        const tag = (u32(mem, lo) >>> TAG_POS) & TAG_MASK
        if (tag === TAG.STRING) return printable(mem, lo + 6, u16(mem, lo + 4), 40)
        return `<${TAG_KIND[tag] || "?"}>`
    }
    return `<h${type}>`
}

function printable(mem, from, len, max) {
    let s = ""
    for (let i = 0; i < Math.min(len, max); i++) {
        const c = mem[from + i]
        s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : "."
    }
    return len > max ? s + "..." : s
}

/**
 * Classifies blocks (bytes blocks by their owner: arrays' and maps' element storage) and describes
 * each; with the program image's address, maps by their first keys and frames by function name.
 */
function describe(mem, heap, previewBytes = 60, img = undefined) {
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
            case TAG.SHORT_MAP: {
                const n = u16(mem, a + 8), data = u32(mem, a + 12)
                b.info = `props=${n} cap=${u16(mem, a + 10)}`
                // a map's data is key, value, key, value... (a short map's is not: keys are u16s)
                if (b.tag !== TAG.SHORT_MAP && n && data && data + 16 * n <= mem.length) {
                    const keys = []
                    for (let i = 0; i < Math.min(n, 6); i++) keys.push(valueText(mem, img, data + 16 * i))
                    b.info += ` {${keys.join(",")}${n > 6 ? ",..." : ""}}`
                }
                own(data, "map-data", a)
                break
            }
            case TAG.ACTIVATION: {
                // header, u16 pc, u16 maxpc, closure, caller, func, then 8-byte slots from +24;
                // func is the function's descriptor in the image, whose first word is the
                // function's code offset in the image (as the compiler's .dbg.json has it)
                const func = u32(mem, a + 16)
                const code = func && func + 12 <= mem.length ? u32(mem, func) : 0
                const name = img !== undefined && func ? imageString(mem, img, u16(mem, func + 12)) : `code@${code}`
                b.info = `${name} pc=${u16(mem, a + 4) - code} slots=${(b.bytes - 24) >> 3}`
                break
            }
            case TAG.PACKET:
                b.info = `cmd=0x${u16(mem, a + 16).toString(16)}`
                break
        }
    }
    for (const b of heap.blocks) {
        if (b.owner !== undefined) b.info = `of ${byAddr.get(b.owner).kind} @0x${b.owner.toString(16)} ${byAddr.get(b.owner).info}`
        else if (b.kind === "bytes") b.info = b.flags & MASK_PINNED ? "pinned (runtime-internal)" : "unowned"
    }
    return heap
}

const KIND_ORDER = ["buffer", "string", "array", "array-data", "map", "map-data", "activation", "packet", "function", "bytes", "image", "free"]

/** The dump as lines (without the "heapdump: " prefix). */
function summarize(mem, heap, { title = "", top = 25, previewBytes = 60, images = [], layout = false } = {}) {
    // the running program's image: the copy whose function table a frame's descriptor points into
    const frame = heap.blocks.find(b => b.tag === TAG.ACTIVATION)
    const func = frame ? u32(mem, frame.addr + 16) : 0
    const inFunctions = img => {
        const f = section(mem, img, SECT.FUNCTIONS)
        return func >= f.start && func < f.start + f.length
    }
    const img = images.find(inFunctions) ?? images[0]
    describe(mem, heap, previewBytes, img)
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
    const line = b => `  ${String(b.bytes).padStart(5)} B ${b.kind.padEnd(10)} @0x${b.addr.toString(16)}${b.info ? " " + b.info : ""}`
    for (const b of live.slice(0, top)) lines.push(line(b))
    // what sits between the free blocks: the objects that cut the free heap into pieces
    if (layout) {
        lines.push(`layout, by address:`)
        for (const b of heap.blocks) lines.push(line(b))
    }
    return lines
}

module.exports = { FINAL_HEADER, TAG, IMG_MAGIC0, IMG_MAGIC1, walkChunk, findChunks, findImages, describe, summarize }
