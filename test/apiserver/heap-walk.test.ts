// The host-side GC heap walker (tools/simulator/heap-walk.cjs), and the board GC threshold the
// simulator sets with it (board-gc.cjs), on a memory image built here with
// DeviceScript's 32-bit layouts, so a change to the walker (or to our reading of gc_alloc.c)
// that breaks the parsing fails here rather than in the middle of an OOM hunt.
import assert from "node:assert/strict"
import { describe, test } from "node:test"
import { readFileSync } from "node:fs"
import { findChunks, findImages, summarize, walkChunk, FINAL_HEADER, IMG_MAGIC0, IMG_MAGIC1, TAG } from "../../tools/simulator/heap-walk.cjs"
import { boardFraction, setThreshold, PATCH, STOCK_FRACTION } from "../../tools/simulator/board-gc.cjs"

const hdr = (tag: number, words: number) => ((tag << 24) | words) >>> 0

class Image {
    mem = new Uint8Array(8192)
    view = new DataView(this.mem.buffer)
    w32(a: number, v: number) {
        this.view.setUint32(a, v >>> 0, true)
    }
    w16(a: number, v: number) {
        this.view.setUint16(a, v, true)
    }
    bytes(a: number, s: string | number[]) {
        this.mem.set(typeof s === "string" ? Buffer.from(s, "latin1") : s, a)
    }
}

/** A devs_gc_t at `gc`, its chunk right after it, and these blocks in the chunk; returns the block addresses. */
function heap(img: Image, gc: number, blocks: ((a: number) => number)[], ownGc = true): { chunk: number; at: number[] } {
    const chunk = gc + 24
    if (ownGc) img.w32(gc + 4, chunk) // first_chunk
    let a = chunk + 8
    const at: number[] = []
    for (const put of blocks) {
        at.push(a)
        a += put(a) * 4
    }
    img.w32(chunk, 0) // next
    img.w32(chunk + 4, a) // end
    img.w32(a, FINAL_HEADER)
    return { chunk, at }
}

function sample(img: Image, gc: number, ownGc = true) {
    const reply = "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.kubernetes.protobuf\r\n"
    return heap(
        img,
        gc,
        [
            a => {
                // buffer: header, u16 length, attached, data (rounded up to words)
                img.w32(a, hdr(TAG.BUFFER, 3 + Math.ceil(reply.length / 4)))
                img.w16(a + 4, reply.length)
                img.bytes(a + 12, reply)
                return 3 + Math.ceil(reply.length / 4)
            },
            a => {
                // ascii string: header, u16 length, chars, NUL
                img.w32(a, hdr(TAG.STRING, 3))
                img.w16(a + 4, 5)
                img.bytes(a + 6, "k8s\0x")
                return 3
            },
            a => {
                // array of 2 values, its storage in the next block
                img.w32(a, hdr(TAG.ARRAY, 4))
                img.w16(a + 8, 2)
                img.w16(a + 10, 2)
                img.w32(a + 12, a + 16 + 4)
                return 4
            },
            a => {
                img.w32(a, hdr(TAG.BYTES, 5))
                return 5
            },
            a => {
                // a free block, filled as gc_alloc.c fills them
                img.w32(a, hdr(TAG.FREE, 10))
                img.mem.fill(0x37, a + 8, a + 40)
                return 10
            },
            a => {
                // map with 1 property: its key/value storage in the next block
                img.w32(a, hdr(TAG.MAP, 4))
                img.w16(a + 8, 1)
                img.w16(a + 10, 1)
                img.w32(a + 12, a + 16 + 4)
                return 4
            },
            a => {
                img.w32(a, hdr(TAG.BYTES, 5))
                // the one key: the image's ascii string 0 (a handle: type 4, DEVS_STRIDX_ASCII << 14)
                img.w32(a + 4, 2 << 14)
                img.w32(a + 8, 4)
                return 5
            },
            a => {
                img.w32(a, hdr(TAG.BYTES | 0x40, 3)) // pinned, no owner: runtime-internal
                return 3
            },
            a => {
                // utf8 string of 20 code points in 22 bytes: one jump-table entry before the data
                img.w32(a, hdr(TAG.STRING_JMP, 10))
                img.w16(a + 4, 22)
                img.w16(a + 6, 20)
                img.bytes(a + 10, "\u00c5\u00bc" + "ab".repeat(10))
                return 10
            },
            a => {
                img.w32(a, hdr(TAG.FREE, 2))
                return 2
            },
        ],
        ownGc
    )
}

/** A program image at `at` whose ascii string 0 is "metadata". */
function image(img: Image, at: number) {
    img.w32(at, IMG_MAGIC0)
    img.w32(at + 4, IMG_MAGIC1)
    img.w32(at + 32 + 8 * 4, 112) // ascii_strings: one u16 offset
    img.w32(at + 32 + 8 * 7, 116) // string_data
    img.w16(at + 112, 0)
    img.bytes(at + 116, "metadata\0")
}

describe("GC heap walker", () => {
    test("walks a chunk's blocks and classifies them", () => {
        const img = new Image()
        const { chunk, at } = sample(img, 0x400)
        const h = walkChunk(img.mem, chunk)!
        assert.ok(h)
        assert.deepEqual(
            h.blocks.map(b => b.addr),
            at
        )
        image(img, 0x1c00)
        const images = findImages(img.mem)
        assert.deepEqual(images, [0x1c00])
        const lines = summarize(img.mem, h, { title: "t ", images })
        const used = at.length // every block is used but the two free ones
        assert.match(lines[0], new RegExp(`^t heap @0x${chunk.toString(16)} \\d+ B: used \\d+ B in ${used - 2} blocks, free 48 B in 2 blocks, largest free 40 B$`))
        assert.match(lines[1], /buffer 80 B\/1/)
        assert.match(lines[1], /string 52 B\/2/)
        assert.match(lines[1], /array-data 20 B\/1/)
        assert.match(lines[1], /map-data 20 B\/1/)
        assert.match(lines[1], /bytes 12 B\/1/)
        assert.match(lines[1], /free 48 B\/2/)
        const top = lines.filter(l => l.startsWith("  "))
        // the first 60 bytes, CR/LF as '.'
        assert.match(top[0], /^ +80 B buffer +@0x[0-9a-f]+ len=68 "HTTP\/1\.1 200 OK\.\.Content-Type: application\/vnd\.kubernetes\.pr\.\.\."$/)
        assert.ok(top.some(l => /string .* len=5 "k8s\.x"/.test(l)))
        assert.ok(top.some(l => /string .* utf8 size=22 chars=20 "\.\.abababababababababab"/.test(l)))
        assert.ok(top.some(l => new RegExp(`array-data .* of array @0x${at[2].toString(16)}`).test(l)))
        assert.ok(top.some(l => /map .* props=1 cap=1 \{metadata\}/.test(l)))
        assert.ok(top.some(l => /map-data .* of map @0x[0-9a-f]+ props=1 cap=1 \{metadata\}/.test(l)))
        assert.ok(top.some(l => /bytes .* pinned/.test(l)))
        // the layout: every block in address order, the free ones too
        const layout = summarize(img.mem, h, { layout: true, top: 0 })
        const byAddress = layout.slice(layout.indexOf("layout, by address:") + 1)
        assert.deepEqual(
            byAddress.map(l => parseInt(/@0x([0-9a-f]+)/.exec(l)![1], 16)),
            at
        )
        assert.equal(byAddress.filter(l => / free +@/.test(l)).length, 2)
        assert.ok(!summarize(img.mem, h, {}).includes("layout, by address:"))
    })

    test("rejects a broken chain", () => {
        const img = new Image()
        const { chunk, at } = sample(img, 0x400)
        img.w32(at[4], hdr(TAG.FREE, 11)) // the walk now steps past a header
        assert.equal(walkChunk(img.mem, chunk), null)
        img.w32(at[4], hdr(0, 10)) // no such tag
        assert.equal(walkChunk(img.mem, chunk), null)
    })

    test("finds the live heap by scanning, preferring it over a stale copy", () => {
        const img = new Image()
        const stale = sample(img, 0x100, false)
        const live = sample(img, 0x1000)
        img.w32(0x1800, FINAL_HEADER) // a stray FINAL-looking word nothing points at
        const found = findChunks(img.mem)
        assert.deepEqual(
            found.map(h => h.chunk),
            [live.chunk, stale.chunk]
        )
    })
})

describe("the board's GC threshold in the simulator (board-gc.cjs)", () => {
    test("takes JD_GC_FRACTION from the firmware's patch", () => {
        const fraction = boardFraction(readFileSync(PATCH, "utf8"))
        assert.ok(Number.isInteger(fraction) && fraction > STOCK_FRACTION, `JD_GC_FRACTION ${fraction}`)
        assert.equal(boardFraction("-#define JD_GC_FRACTION 4\n+#define JD_GC_FRACTION 64\n"), 64)
        assert.throws(() => boardFraction("-#define JD_GC_FRACTION 4\n"), /defines no JD_GC_FRACTION/)
    })

    test("sets the live heap's threshold as devs_gc_add_chunk computes it, and nothing else", () => {
        const img = new Image()
        const stale = sample(img, 0x100, false)
        const live = sample(img, 0x1000)
        const gc = live.chunk - 24
        for (const h of [stale.chunk - 24, gc]) img.w32(h + 12, 0x1234) // gc_threshold, stock
        img.w32(gc + 8, 77) // num_alloc
        img.w32(gc + 16, 99) // curr_alloc
        const before = Buffer.from(img.mem)
        const set = setThreshold(img.mem, 32)!
        const chunkBytes = walkChunk(img.mem, live.chunk)!.end + 4 - live.chunk
        assert.deepEqual(set, { chunkBytes, was: 0x1234, words: Math.floor(chunkBytes / 4 / 32) })
        assert.equal(img.view.getUint32(gc + 12, true), set.words)
        // only those 4 bytes changed: the stale heap and the other fields are as they were
        const changed = [...img.mem].flatMap((b, i) => (b === before[i] ? [] : [i]))
        assert.ok(changed.every(i => i >= gc + 12 && i < gc + 16), `changed bytes at ${changed.join(", ")}`)
    })

    test("finds no heap where there is none", () => {
        const img = new Image()
        sample(img, 0x100, false) // a freed heap: its devs_gc_t no longer points at it
        assert.equal(setThreshold(img.mem, 32), undefined)
    })
})
