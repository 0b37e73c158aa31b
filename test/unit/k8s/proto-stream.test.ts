// The protobuf reply scanner: the strings at the asked paths, whatever the
// pieces the socket cuts the reply into, and a clear refusal of what is not
// a Kubernetes protobuf reply.
import * as ds from "@devicescript/core"
import { describe, test } from "../harness"
import { expectEqual } from "../matchers"
import { MAX_STRING_BYTES, ProtoScanner } from "../../../src/k8s/proto-stream"
import { envelope, field, message, metadataReply, numberField, statusReply } from "./proto"

const ANNOTATIONS = [[2, 1, 12, 1], [2, 1, 12, 2]]

/** Scans `b` in pieces of `size` bytes; returns "index=value" of each string and the scanner. */
function scan(b: Buffer, paths: number[][], size: number): { seen: string[]; s: ProtoScanner } {
    const seen: string[] = []
    const s = new ProtoScanner(paths, (i, v) => seen.push(`${i}=${v}`))
    for (let at = 0; at < b.length; at += size) s.push(b, at, Math.min(b.length, at + size))
    return { seen, s }
}

describe("protobuf reply scanner", () => {
    test("a wanted varint is reported as its decimal text, and a ten-byte one is skipped", async () => {
        // a Status: code (6) is a varint; a negative field before it takes ten bytes
        const negative = Buffer.from([0x38, 0xf6, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])
        const reply = envelope("v1", "Status", message([field(4, "NotFound"), negative, numberField(6, 404), numberField(8, 1795924703)]))
        for (let size = 1; size <= reply.length; size++) {
            const { seen, s } = scan(reply, [[2, 6], [2, 4], [2, 8]], size)
            expectEqual(seen, ["1=NotFound", "0=404", "2=1795924703"], `pieces of ${size}`)
            expectEqual([s.done, s.error], [true, undefined], `pieces of ${size}`)
            await ds.sleep(0)
        }
        const eleven = envelope("v1", "Status", message([Buffer.from([0x38, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])]))
        expectEqual(scan(eleven, [[2, 6]], 4).s.error, "varint too long")
    })
    test("annotations of a metadata reply, in every piece size", async () => {
        const reply = metadataReply("n1", [
            ["picokubelet.dev/firmware", "reg:5000/fw@sha256:ab"],
            ["picokubelet.dev/heap-bytes-free", "40000"],
        ])
        for (let size = 1; size <= reply.length; size++) {
            const { seen, s } = scan(reply, ANNOTATIONS, size)
            expectEqual(seen, ["0=picokubelet.dev/firmware", "1=reg:5000/fw@sha256:ab", "0=picokubelet.dev/heap-bytes-free", "1=40000"], `pieces of ${size}`)
            expectEqual([s.done, s.error], [true, undefined], `pieces of ${size}`)
            // one fiber slice per size: the VM stops a loop that never yields
            await ds.sleep(0)
        }
    })
    test("a Status: message and reason; its varint code is skipped", () => {
        const { seen, s } = scan(statusReply(404, "NotFound", 'leases "n1" not found'), [[2, 3], [2, 4]], 5)
        expectEqual(seen, ['0=leases "n1" not found', "1=NotFound"])
        expectEqual(s.done, true)
    })
    test("fixed-width fields, empty messages and fields of the same number elsewhere are skipped", () => {
        const fixed64 = Buffer.from([(9 << 3) | 1, 1, 2, 3, 4, 5, 6, 7, 8])
        const fixed32 = Buffer.from([(10 << 3) | 5, 1, 2, 3, 4])
        // field 12 at the object's top level is not metadata's annotations
        const raw = message([field(12, message([field(1, "decoy"), field(2, "no")])), fixed64, field(1, message([fixed32, field(12, message([field(1, "k"), field(2, "")]))])), field(3, message([]))])
        const { seen, s } = scan(envelope("v1", "Node", raw), ANNOTATIONS, 3)
        expectEqual(seen, ["0=k", "1="])
        expectEqual([s.done, s.error], [true, undefined])
    })
    test("a string longer than the cap is reported as undefined, and scanning goes on", () => {
        const long = Buffer.alloc(MAX_STRING_BYTES + 1)
        for (let i = 0; i < long.length; i++) long[i] = 120
        const { seen, s } = scan(metadataReply("n1", [["big", long], ["after", "v"]]), ANNOTATIONS, 64)
        expectEqual(seen, ["0=big", "1=undefined", "0=after", "1=v"])
        expectEqual(s.done, true)
    })
    test("not protobuf, a field running past its message, a group: refused", () => {
        expectEqual(scan(Buffer.from('{"kind":"Status"}'), ANNOTATIONS, 4).s.error, "not a Kubernetes protobuf reply")
        const liar = message([Buffer.from([0x6b, 0x38, 0x73, 0x00]), field(2, message([Buffer.from([(1 << 3) | 2, 50]), Buffer.from("abc")]))])
        expectEqual(scan(liar, ANNOTATIONS, 2).s.error, "field 1 runs past its message")
        const group = Buffer.from([0x6b, 0x38, 0x73, 0x00, (7 << 3) | 3])
        expectEqual(scan(group, ANNOTATIONS, 2).s.error, "wire type 3 at field 7")
    })
    test("cut short inside the object: not done (the envelope's two empty strings after it do not matter)", () => {
        const reply = metadataReply("n1", [["a", "b"]])
        expectEqual(scan(reply.slice(0, reply.length - 4), ANNOTATIONS, 7).s.done, true)
        const { s } = scan(reply.slice(0, reply.length - 5), ANNOTATIONS, 7)
        expectEqual([s.done, s.error], [false, undefined])
    })
    test("a varint wider than 32 bits is read whole", () => {
        const raw = message([numberField(5, 2 ** 40 + 3), field(1, message([field(12, message([field(1, "k"), field(2, "v")]))]))])
        expectEqual(scan(envelope("v1", "Node", raw), ANNOTATIONS, 1).seen, ["0=k", "1=v"])
    })
})
