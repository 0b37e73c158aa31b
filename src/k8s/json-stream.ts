// Reads JSON a piece at a time, as it comes off the socket, and reports the
// values at the paths a caller asked for. A pod list or a Pod is several KB
// (managedFields alone are ~600 B per pod): the heap holds only the path
// being read and the one value being collected, and subtrees nobody asked
// for are skipped without building their keys.
//
// Paths name object keys joined by "." and array elements by "[]", e.g.
// "items[].metadata.name". The sink gets (path, value) for each wanted
// scalar (strings unescaped, numbers and literals as written) and
// (path, null) when a wanted object or array begins: the start of a record.

export type JsonSink = (path: string, value: string) => void

/** Longer wanted values are an error, not a silent truncation. */
export const MAX_VALUE_BYTES = 1024
/** Deeper nesting than any Kubernetes object; beyond it the input is refused. */
export const MAX_DEPTH = 32

const QUOTE = 34
const BACKSLASH = 92
const COMMA = 44
const LBRACE = 123
const RBRACE = 125
const LBRACKET = 91
const RBRACKET = 93

const IGNORE = 0
const DESCEND = 1
const WANTED = 2

function isSpace(c: number) {
    return c === 32 || c === 10 || c === 13 || c === 9
}

/** buf.indexOf within [from, to), -1 when not there. */
function find(buf: Buffer, byte: number, from: number, to: number): number {
    if (from >= to) return -1
    const at = buf.indexOf(byte, from, to)
    return at < to ? at : -1
}

export class JsonScanner {
    /** Why the input was refused; the scanner ignores input after it. */
    error: string = undefined
    /** The top-level value was read to its end. */
    done = false
    /** Open containers: true for an object, false for an array. */
    private objects: boolean[] = []
    /** The path of each open container (an array's ends in "[]"). */
    private paths: string[] = []
    private key = ""
    private expectKey = false
    private inString = false
    private stringIsKey = false
    private literal = false
    /** The string or literal being read is reported (keys are always kept). */
    private keep = false
    private valuePath = ""
    /** Inside a container nobody asked for: its depth. */
    private skipDepth = 0
    private acc: Buffer = null
    private accLen = 0
    private escaped = false
    private hasEscape = false
    private offset = 0

    constructor(
        private readonly wanted: string[],
        private readonly sink: JsonSink
    ) {}

    /** Reads buf[from..to); never throws (a refusal sets `error`). */
    push(buf: Buffer, from: number, to: number) {
        let pos = from
        while (pos < to && !this.error) {
            if (this.inString) {
                pos = this.stringBytes(buf, pos, to)
                continue
            }
            const c = buf[pos++]
            if (this.literal) {
                if (!(isSpace(c) || c === COMMA || c === RBRACE || c === RBRACKET)) {
                    if (this.keep) this.collect(buf, pos - 1, pos)
                    continue
                }
                this.literal = false
                this.value(this.text())
            }
            if (isSpace(c)) continue
            if (this.skipDepth > 0) {
                if (c === QUOTE) {
                    this.beginString(false, false)
                } else if (c === LBRACE || c === LBRACKET) this.skipDepth++
                else if (c === RBRACE || c === RBRACKET) this.skipDepth--
                if (this.skipDepth === 0) this.expectKey = false
                continue
            }
            const top = this.objects.length - 1
            const inObject = top >= 0 && this.objects[top]
            if (c === COMMA) {
                if (inObject) this.expectKey = true
            } else if (c === 58 /* : */) {
                // the key was taken when its string closed
            } else if (c === QUOTE) {
                if (inObject && this.expectKey) this.beginString(true, true)
                else this.beginString(false, this.interest(this.pathOfValue()) === WANTED)
            } else if (c === RBRACE || c === RBRACKET) {
                if (top < 0 || inObject !== (c === RBRACE)) this.refuse("unbalanced brackets")
                else {
                    this.objects.pop()
                    this.paths.pop()
                    this.expectKey = false
                    if (top === 0) this.done = true
                }
            } else if (c === LBRACE || c === LBRACKET) {
                const path = this.pathOfValue()
                const interest = this.interest(path)
                if (interest === IGNORE) this.skipDepth = 1
                else if (this.objects.length >= MAX_DEPTH) this.refuse(`nested deeper than ${MAX_DEPTH}`)
                else {
                    if (interest === WANTED) this.sink(path, null)
                    this.objects.push(c === LBRACE)
                    this.paths.push(c === LBRACE ? path : path + "[]")
                    this.expectKey = c === LBRACE
                }
            } else {
                this.valuePath = this.pathOfValue()
                this.keep = this.interest(this.valuePath) === WANTED
                this.literal = true
                this.hasEscape = false
                this.accLen = 0
                if (this.keep) this.collect(buf, pos - 1, pos)
            }
        }
        this.offset += to - from
    }

    /** The input ended: an unfinished document is an error. */
    end() {
        if (this.literal && this.objects.length === 0) {
            this.literal = false
            this.value(this.text())
            this.done = true
        }
        if (!this.done && !this.error) this.refuse("the document ended early")
    }

    private refuse(why: string) {
        this.error = `${why} (near byte ${this.offset})`
    }

    private pathOfValue(): string {
        const top = this.paths.length - 1
        if (top < 0) return ""
        const parent = this.paths[top]
        if (!this.objects[top]) return parent
        return parent ? parent + "." + this.key : this.key
    }

    /** Is `path` wanted, on the way to something wanted, or neither? */
    private interest(path: string): number {
        if (path === "") return DESCEND
        let found = IGNORE
        for (const w of this.wanted) {
            if (w === path) return WANTED
            if (w.length > path.length && w.startsWith(path)) {
                const next = w.charCodeAt(path.length)
                if (next === 46 /* . */ || next === LBRACKET) found = DESCEND
            }
        }
        return found
    }

    private beginString(isKey: boolean, keep: boolean) {
        this.inString = true
        this.stringIsKey = isKey
        this.keep = keep
        this.accLen = 0
        this.hasEscape = false
        this.escaped = false
        if (!isKey && keep) this.valuePath = this.pathOfValue()
    }

    /** Reads string bytes up to its closing quote; the native indexOf skips most of them. */
    private stringBytes(buf: Buffer, pos: number, to: number): number {
        if (this.escaped) {
            // the byte after a backslash that ended the previous piece
            if (this.keep) this.collect(buf, pos, pos + 1)
            this.escaped = false
            return pos + 1
        }
        const quote = find(buf, QUOTE, pos, to)
        const slash = find(buf, BACKSLASH, pos, quote < 0 ? to : quote)
        if (slash >= 0) {
            this.hasEscape = true
            const stop = slash + 2 <= to ? slash + 2 : to
            if (this.keep) this.collect(buf, pos, stop)
            if (stop === slash + 1) this.escaped = true
            return stop
        }
        if (quote < 0) {
            if (this.keep) this.collect(buf, pos, to)
            return to
        }
        if (this.keep) this.collect(buf, pos, quote)
        this.inString = false
        if (this.skipDepth > 0) return quote + 1
        const text = this.keep ? this.text() : undefined
        if (this.stringIsKey) {
            this.key = text
            this.expectKey = false
        } else this.value(text)
        return quote + 1
    }

    private value(text: string) {
        if (this.keep && text !== undefined) this.sink(this.valuePath, text)
        this.keep = false
    }

    private collect(buf: Buffer, from: number, to: number) {
        const need = this.accLen + to - from
        if (need > MAX_VALUE_BYTES) {
            this.refuse(`a value at ${this.stringIsKey ? "a key" : this.valuePath} is longer than ${MAX_VALUE_BYTES} bytes`)
            return
        }
        if (!this.acc || this.acc.length < need) {
            let size = this.acc ? this.acc.length * 2 : 64
            while (size < need) size *= 2
            const grown = Buffer.alloc(size)
            if (this.acc) grown.blitAt(0, this.acc, 0, this.accLen)
            this.acc = grown
        }
        this.acc.blitAt(this.accLen, buf, from, to - from)
        this.accLen = need
    }

    /** The collected bytes as text; escapes resolved by JSON.parse. */
    private text(): string {
        if (this.error) return undefined
        const raw = this.acc ? this.acc.slice(0, this.accLen).toString("utf-8") : ""
        if (!this.hasEscape || this.literal) return raw
        try {
            return JSON.parse('"' + raw + '"')
        } catch (e) {
            this.refuse("a string with a bad escape")
            return undefined
        }
    }
}
