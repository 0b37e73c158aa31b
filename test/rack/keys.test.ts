import assert from "node:assert/strict"
import { describe, test } from "node:test"
import { decodeKey, decodeKeys, splitKeys } from "../../tools/rack/keys"

const UP = "\x1b[A"
const DOWN = "\x1b[B"

describe("rack keys", () => {
    test("arrows and j/k move the selection and stop at the ends", () => {
        assert.deepEqual(decodeKey(DOWN, 0, 3), { kind: "select", index: 1 })
        assert.deepEqual(decodeKey(UP, 2, 3), { kind: "select", index: 1 })
        assert.deepEqual(decodeKey("j", 1, 3), { kind: "select", index: 2 })
        assert.deepEqual(decodeKey("k", 1, 3), { kind: "select", index: 0 })
        // application cursor mode (SS3)
        assert.deepEqual(decodeKey("\x1bOB", 0, 3), { kind: "select", index: 1 })
        assert.deepEqual(decodeKey("\x1bOA", 1, 3), { kind: "select", index: 0 })
        assert.equal(decodeKey(UP, 0, 3), undefined)
        assert.equal(decodeKey(DOWN, 2, 3), undefined)
        assert.equal(decodeKey("k", 0, 3), undefined)
    })

    test("raw bytes from stdin decode as strings do", () => {
        assert.deepEqual(decodeKey(Buffer.from([0x1b, 0x5b, 0x42]), 0, 2), { kind: "select", index: 1 })
        assert.deepEqual(decodeKey(Buffer.from([0x03]), 0, 2), { kind: "quit" })
        assert.deepEqual(decodeKey(new Uint8Array([0x63]), 1, 2), { kind: "cable", index: 1 })
    })

    test("digits select boards 1-9, 0 the 10th; a board that does not exist is ignored", () => {
        assert.deepEqual(decodeKey("1", 4, 10), { kind: "select", index: 0 })
        assert.deepEqual(decodeKey("9", 0, 10), { kind: "select", index: 8 })
        assert.deepEqual(decodeKey("0", 0, 10), { kind: "select", index: 9 })
        assert.equal(decodeKey("0", 0, 9), undefined)
        assert.equal(decodeKey("4", 0, 3), undefined)
        assert.equal(decodeKey("2", 1, 3), undefined, "already selected")
    })

    test("c and p act on the selected board; q and Ctrl-C quit", () => {
        assert.deepEqual(decodeKey("c", 2, 3), { kind: "cable", index: 2 })
        assert.deepEqual(decodeKey("p", 0, 3), { kind: "power", index: 0 })
        assert.deepEqual(decodeKey("q", 1, 3), { kind: "quit" })
        assert.deepEqual(decodeKey("\x03", 1, 3), { kind: "quit" })
        assert.deepEqual(decodeKey("q", 0, 0), { kind: "quit" }, "quits with no boards")
        assert.equal(decodeKey("c", 0, 0), undefined)
    })

    test("other keys mean nothing", () => {
        for (const k of ["x", " ", "\r", "\x1b", "\x1b[C", "\x1b[D", "\x1b[5~", "\x04", "jj"]) assert.equal(decodeKey(k, 0, 3), undefined, JSON.stringify(k))
    })

    test("a chunk with several keypresses is split, escape sequences whole, each seeing the selection before it", () => {
        assert.deepEqual(splitKeys(`j${DOWN}c\x1bOAq`), ["j", DOWN, "c", "\x1bOA", "q"])
        assert.deepEqual(splitKeys("\x1b[5~x"), ["\x1b[5~", "x"])
        assert.deepEqual(decodeKeys(`${DOWN}${DOWN}${DOWN}cp`, 0, 3), [
            { kind: "select", index: 1 },
            { kind: "select", index: 2 },
            { kind: "cable", index: 2 },
            { kind: "power", index: 2 },
        ])
        assert.deepEqual(decodeKeys(Buffer.from("3kc"), 0, 3), [
            { kind: "select", index: 2 },
            { kind: "select", index: 1 },
            { kind: "cable", index: 1 },
        ])
    })
})
