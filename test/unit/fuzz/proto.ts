// Fuzz target: ProtoScanner, the reader of every protobuf reply (renewals,
// status posts, pod listings, pods). A random message tree is encoded in a
// Kubernetes envelope; the scanner, fed in random pieces, must report
// exactly the wanted fields the tree holds, in document order. Field
// numbers keep roles apart, so the tree itself says what is expected:
// messages 1-3, strings 4-5, small varints 7, ten-byte negative varints 8,
// fixed64 9, fixed32 10. Then the same bytes cut short or with bytes
// changed: never an exception, only wanted paths reported, no string longer
// than the cap.
import * as ds from "@devicescript/core"
import { MAX_STRING_BYTES, ProtoScanner } from "../../../src/k8s/proto-stream"
import { envelope, field, message, numberField } from "../k8s/proto"
import { FuzzTarget, Rng, check } from "./rng"

const MESSAGES = [1, 2, 3]
const STRINGS = [4, 5]
const SMALL = 7

interface Field {
    num: number
    /** A string's text, a small varint's decimal text; undefined for the rest. */
    text?: string
    children?: Field[]
    bytes: Buffer
}

function randomText(rng: Rng): string {
    // now and then longer than the cap: reported as undefined
    const n = rng.oneIn(12) ? MAX_STRING_BYTES + rng.int(40) : rng.int(12)
    let s = ""
    for (let i = 0; i < n; i++) s += rng.pick(["a", "0", "-", "é", "\u2603", "k8s", "\u0000"])
    return s
}

function randomFields(rng: Rng, depth: number): Field[] {
    const out: Field[] = []
    const n = rng.int(depth ? 5 : 7)
    for (let i = 0; i < n; i++) {
        const k = rng.int(6)
        if (k === 0 && depth < 3) {
            const num = rng.pick(MESSAGES)
            const children = randomFields(rng, depth + 1)
            out.push({ num, children, bytes: field(num, message(children.map(c => c.bytes))) })
        } else if (k <= 2) {
            const num = rng.pick(STRINGS)
            const text = randomText(rng)
            out.push({ num, text, bytes: field(num, text) })
        } else if (k === 3) {
            const v = rng.int(2000000000)
            out.push({ num: SMALL, text: "" + v, bytes: numberField(SMALL, v) })
        } else if (k === 4) out.push({ num: 8, bytes: Buffer.from([0x40, 0xf6, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]) })
        else out.push(rng.oneIn(2) ? { num: 9, bytes: Buffer.from([0x49, 1, 2, 3, 4, 5, 6, 7, 8]) } : { num: 10, bytes: Buffer.from([0x55, 1, 2, 3, 4]) })
    }
    return out
}

/** "index=value" of every wanted field in the tree under `path`, in document order. */
function expected(fields: Field[], path: number[], wanted: number[][], out: string[]) {
    for (const f of fields) {
        const here = path.slice(0)
        here.push(f.num)
        if (f.children) {
            expected(f.children, here, wanted, out)
            continue
        }
        // a path asked for twice is reported under its first index
        for (let i = 0; i < wanted.length; i++) {
            if (wanted[i].join(".") !== here.join(".")) continue
            const tooLong = f.num !== SMALL && Buffer.from(f.text).length > MAX_STRING_BYTES
            if (f.text !== undefined) out.push(`${i}=${tooLong ? "undefined" : f.text}`)
            break
        }
    }
}

function randomPath(rng: Rng): number[] {
    const p = [2]
    const depth = rng.int(3)
    for (let i = 0; i < depth; i++) p.push(rng.pick(MESSAGES))
    p.push(rng.oneIn(3) ? SMALL : rng.pick(STRINGS))
    return p
}

/** Feeds `b` in random pieces; returns the reports and the scanner. */
async function scan(rng: Rng, b: Buffer, wanted: number[][]): Promise<{ seen: string[]; s: ProtoScanner }> {
    const seen: string[] = []
    const s = new ProtoScanner(wanted, (i, v) => seen.push(`${i}=${v}`))
    // a fiber slice per 512 bytes at most, as the connection feeds a body (the VM's watchdog counts opcodes per slice)
    let fed = 0
    for (let at = 0; at < b.length; ) {
        const end = Math.min(b.length, at + 1 + rng.int(rng.oneIn(4) ? 300 : 9))
        s.push(b, at, end)
        fed += end - at
        at = end
        if (fed >= 512 - 300) {
            fed = 0
            await ds.sleep(0)
        }
    }
    return { seen, s }
}

export const protoTarget: FuzzTarget = {
    name: "proto",
    run: async (rng: Rng) => {
        const tree = randomFields(rng, 0)
        const reply = envelope("v1", "Thing", message(tree.map(f => f.bytes)))
        const wanted: number[][] = []
        for (let i = rng.int(3) + 1; i > 0; i--) wanted.push(randomPath(rng))
        const want: string[] = []
        expected(tree, [2], wanted, want)
        const { seen, s } = await scan(rng, reply, wanted)
        check(!s.error && s.done, `a valid reply refused: ${s.error}, done ${s.done}`)
        check(seen.join("|") === want.join("|"), `reports ${JSON.stringify(seen)}; the tree holds ${JSON.stringify(want)}`)
        // hostile: cut short, or bytes changed
        const bad = reply.slice(0)
        const cut = rng.oneIn(2) ? rng.int(bad.length) : bad.length
        for (let i = rng.int(4); i > 0; i--) bad[rng.int(bad.length)] = rng.int(256)
        const r = await scan(rng, bad.slice(0, cut), wanted)
        for (const line of r.seen) {
            const i = parseInt(line)
            check(i >= 0 && i < wanted.length, `a report for no wanted path: ${line}`)
            check(line.length - line.indexOf("=") - 1 <= MAX_STRING_BYTES, `a report longer than the cap: ${line.length}`)
        }
    },
}
