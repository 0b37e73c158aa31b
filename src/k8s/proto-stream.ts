// Reads a Kubernetes protobuf reply a piece at a time, as it comes off the
// socket, and reports the strings at the field paths a caller asked for.
// The renewal and status replies are asked for in protobuf because it is the
// smallest reply the API server gives (the real kubelet's own encoding); the
// heap holds only the open messages' ends and the one string being
// collected, and everything else is skipped by its length.
//
// A reply is the 4-byte magic "k8s\0" and then a runtime.Unknown whose field
// 2 holds the object, so a path starts with 2: [2, 4] is a Status's reason,
// [2, 1, 12, 1] an annotation's key in an object's metadata (map entries
// are messages of key 1 and value 2, the key first). A wanted varint (a
// Time's seconds) is reported as its decimal text.

/** Gets the index of the path in the caller's list and the string (undefined: longer than MAX_STRING_BYTES). */
export type ProtoSink = (index: number, value: string) => void

/** Longer wanted strings are reported as undefined, not cut. */
export const MAX_STRING_BYTES = 1024
const MAGIC = [0x6b, 0x38, 0x73, 0x00]
/** Field 2 of runtime.Unknown: the object. */
const RAW = 2

const S_MAGIC = 0
const S_TAG = 1
const S_LENGTH = 2
const S_VARINT = 3
const S_SKIP = 4
const S_STRING = 5

export class ProtoScanner {
    /** Why the input was refused; input after it is ignored. */
    error: string = undefined
    /** The object (the envelope's field 2) was read to its end. */
    done = false
    private state = S_MAGIC
    /** Bytes read since the magic. */
    private pos = 0
    /** The varint being read and the weight of its next 7 bits. */
    private varint = 0
    private weight = 1
    private field = 0
    private wireType = 0
    /** Bytes left to skip or to collect. */
    private left = 0
    /** Field numbers of the open messages, and where each ends. */
    private fields: number[] = []
    private ends: number[] = []
    private collected: Buffer = undefined
    private collectedAt = 0
    private wanted = -1

    constructor(
        private readonly paths: number[][],
        private readonly sink: ProtoSink
    ) {}

    /** Takes buf[from, to); a method value, so it can be handed over as a body sink. */
    push(buf: Buffer, from: number, to: number) {
        let i = from
        while (i < to && !this.error) {
            const s = this.state
            if (s === S_MAGIC) {
                if (buf[i] !== MAGIC[this.pos]) return this.fail("not a Kubernetes protobuf reply")
                i++
                if (++this.pos === MAGIC.length) {
                    this.pos = 0
                    this.state = S_TAG
                }
            } else if (s === S_SKIP || s === S_STRING) {
                const n = Math.min(this.left, to - i)
                if (s === S_STRING) {
                    this.collected.blitAt(this.collectedAt, buf, i, n)
                    this.collectedAt += n
                }
                i += n
                this.pos += n
                this.left -= n
                if (this.left === 0) this.fieldDone()
            } else {
                const b = buf[i++]
                this.pos++
                this.varint += (b & 0x7f) * this.weight
                this.weight *= 128
                if (b & 0x80) {
                    // ten bytes at most: a negative int32 (a pod's priority) takes all ten
                    if (this.weight > 2 ** 63) return this.fail("varint too long")
                    continue
                }
                const v = this.varint
                this.varint = 0
                this.weight = 1
                if (s === S_TAG) this.tag(v)
                else if (s === S_LENGTH) this.length(v)
                else {
                    if (this.wanted >= 0) this.sink(this.wanted, "" + v)
                    this.fieldDone()
                }
            }
        }
    }

    private tag(v: number) {
        this.field = Math.floor(v / 8)
        this.wireType = v & 7
        const w = this.wireType
        if (w === 0) {
            this.wanted = this.ending()
            this.state = S_VARINT
        } else if (w === 2) this.state = S_LENGTH
        else if (w === 1 || w === 5) this.skip(w === 1 ? 8 : 4)
        else this.fail(`wire type ${w} at field ${this.field}`)
    }

    private length(n: number) {
        const depth = this.fields.length
        if (depth > 0 && this.pos + n > this.ends[depth - 1]) return this.fail(`field ${this.field} runs past its message`)
        const p = this.ending()
        if (p >= 0) {
            this.wanted = p
            if (n > MAX_STRING_BYTES) {
                this.sink(p, undefined)
                return this.skip(n)
            }
            this.collected = Buffer.alloc(n)
            this.collectedAt = 0
            this.left = n
            this.state = S_STRING
            if (n === 0) this.fieldDone()
            return
        }
        // a message some path goes on inside
        let descend = false
        for (const path of this.paths) if (path.length > depth + 1 && path[depth] === this.field && this.under(path)) descend = true
        if (!descend) return this.skip(n)
        this.fields.push(this.field)
        this.ends.push(this.pos + n)
        this.state = S_TAG
        this.closeEnded()
    }

    /** The index of the path that ends at the field just tagged, -1 for none. */
    private ending(): number {
        const depth = this.fields.length
        for (let p = 0; p < this.paths.length; p++) {
            const path = this.paths[p]
            if (path.length === depth + 1 && path[depth] === this.field && this.under(path)) return p
        }
        return -1
    }

    /** The open messages are `path`'s first fields. */
    private under(path: number[]): boolean {
        for (let d = 0; d < this.fields.length; d++) if (path[d] !== this.fields[d]) return false
        return true
    }

    private skip(n: number) {
        this.left = n
        this.state = S_SKIP
        if (n === 0) this.fieldDone()
    }

    private fieldDone() {
        if (this.state === S_STRING) {
            const value = this.collected.toString("utf-8")
            this.collected = undefined
            this.sink(this.wanted, value)
        }
        this.state = S_TAG
        this.closeEnded()
    }

    /** Closes every message that ends here; the object's end is the reply's. */
    private closeEnded() {
        while (this.ends.length > 0 && this.pos === this.ends[this.ends.length - 1]) {
            this.ends.pop()
            if (this.fields.pop() === RAW && this.fields.length === 0) this.done = true
        }
    }

    private fail(why: string) {
        this.error = why
    }
}
