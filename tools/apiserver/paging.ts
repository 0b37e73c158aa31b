// limit and continue on lists, as kube-apiserver 1.31 over kine answers them
// (recorded: test/fixtures/kube-apiserver-1.31 64-81; the differential
// test's probes hold the rest to the real server). A continue token is
// base64url, unpadded, of {"v":"meta.k8s.io/v1","rv":<the list's revision>,
// "start":"<key>\u0000"}, the key relative to the list's etcd prefix:
// "<namespace>/<name>" for all namespaces, "<name>" in one. The first page comes from the watch cache,
// whose prefix lacks the trailing slash, so its key starts with "/"; later
// pages come from etcd and their keys do not. Decoding takes both.
import { ApiError, badRequest, failure } from "./status"

/** storage.ErrGenericInvalidKey and the messages DecodeContinue wraps it in. */
const INVALID = "continue key is not valid"

export interface ContinueToken {
    /** Relative key to start from (inclusive): "default/web\u0000". */
    start: string
    /** The revision to read at; not positive: the latest. */
    rv: number
}

export const encodeContinue = (start: string, rv: number): string =>
    Buffer.from(JSON.stringify({ v: "meta.k8s.io/v1", rv, start })).toString("base64url")

/** ?limit= as strconv.ParseInt reads it; 0 when absent (no paging; negative too). */
export function parseLimit(query: URLSearchParams): number {
    const raw = query.get("limit")
    if (raw === null) return 0
    if (!/^[+-]?\d+$/.test(raw)) throw badRequest(`strconv.ParseInt: parsing ${JSON.stringify(raw)}: invalid syntax`)
    const n = BigInt(raw)
    if (n > 9223372036854775807n || n < -9223372036854775808n)
        throw badRequest(`strconv.ParseInt: parsing ${JSON.stringify(raw)}: value out of range`)
    return n > 0n ? Number(n) : 0
}

const invalidToken = (why: string) => badRequest(`invalid continue token: ${why}`)

/** storage.DecodeContinue; its errors as the 400 the real server sends. */
export function decodeContinue(token: string): ContinueToken {
    const data = goBase64Url(token)
    if (typeof data === "number") throw invalidToken(`${INVALID}: illegal base64 data at input byte ${data}`)
    const text = data.toString("latin1")
    const syntax = goJsonSyntaxError(text)
    if (syntax) throw invalidToken(`${INVALID}: ${syntax}`)
    const { token: c, typeError } = goDecodeToken(JSON.parse(Buffer.from(text, "latin1").toString("utf8")))
    if (typeError) throw invalidToken(`${INVALID}: ${typeError}`)
    if (c.v !== "meta.k8s.io/v1") throw invalidToken(`${INVALID}: server does not recognize this encoded version ${c.v}`)
    if (c.rv === 0) throw invalidToken(`${INVALID}: incorrect encoded start resourceVersion (version meta.k8s.io/v1)`)
    if (c.start.length === 0) throw invalidToken(`${INVALID}: encoded start key empty (version meta.k8s.io/v1)`)
    // path.Clean must leave "/"+key as it is: no "." or ".." segments, no empty ones, no trailing "/"
    const key = c.start.startsWith("/") ? c.start : `/${c.start}`
    const segments = key.slice(1).split("/")
    const clean = key === "/" || segments.every(s => s !== "" && s !== "." && s !== "..")
    if (!clean) throw invalidToken(`${INVALID}: ${c.start}`)
    return { start: key.slice(1), rv: c.rv }
}

/** etcd3's answer to a continue token whose revision was compacted: 410, and a token to go on at the latest revision. */
export function continueExpired(start: string): ApiError {
    const body = failure(
        410,
        "Expired",
        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, " +
            "or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an " +
            "inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list."
    )
    body.metadata = { continue: encodeContinue(start, -1) }
    return new ApiError(410, body)
}

/** A token whose revision the store has not reached: etcd's error passed through as it is (no reason). */
export function futureRevision(): ApiError {
    return new ApiError(500, {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: "etcdserver: mvcc: required revision is a future revision",
        code: 500,
    })
}

export interface Page<T> {
    items: T[]
    /** The key of the last item returned when more keys follow a full page. */
    lastKey?: string
    /** Keys after lastKey, matching or not. */
    remaining: number
}

/**
 * One page of `all` (in key order, from the start key on): up to `limit`
 * matching items. A full page gets a continue key when any key follows it,
 * matching or not, so the next page can be empty; a page that is not full
 * is the last. limit 0: everything.
 */
export function page<T>(all: T[], keyOf: (o: T) => string, matches: (o: T) => boolean, limit: number): Page<T> {
    const items: T[] = []
    for (let i = 0; i < all.length; i++) {
        if (limit > 0 && items.length >= limit) return { items, lastKey: keyOf(all[i - 1]), remaining: all.length - i }
        if (matches(all[i])) items.push(all[i])
    }
    return { items, remaining: 0 }
}

// --- what Go's decoders say, for the messages of a bad token ---

const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

/** base64.RawURLEncoding.DecodeString: the bytes, or the offset of the first bad byte (CorruptInputError). */
function goBase64Url(s: string): Buffer | number {
    const out: number[] = []
    let acc = 0
    let n = 0
    for (let i = 0; i < s.length; i++) {
        const c = s[i]
        if (c === "\r" || c === "\n") continue
        const v = B64URL.indexOf(c)
        if (v < 0 || c.length !== 1) return i
        acc = (acc << 6) | v
        if (++n === 4) {
            out.push((acc >> 16) & 255, (acc >> 8) & 255, acc & 255)
            acc = 0
            n = 0
        }
    }
    if (n === 1) return s.length - 1
    if (n === 2) out.push((acc >> 4) & 255)
    if (n === 3) out.push((acc >> 10) & 255, (acc >> 2) & 255)
    return Buffer.from(out)
}

/** encoding/json's quoteChar. */
function quoteChar(c: string): string {
    if (c === "'") return "'\\''"
    if (c === '"') return "'\"'"
    const code = c.charCodeAt(0)
    const escapes: Record<string, string> = { "\x07": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v", "\\": "\\\\" }
    if (escapes[c]) return `'${escapes[c]}'`
    if (code < 0x20 || code === 0x7f) return `'\\x${code.toString(16).padStart(2, "0")}'`
    if ((code >= 0x80 && code < 0xa1) || code === 0xad) return `'\\u${code.toString(16).padStart(4, "0")}'`
    return `'${c}'`
}

/**
 * The syntax error encoding/json's scanner reports for `s` (bytes as
 * latin1 characters), or undefined for valid JSON.
 */
function goJsonSyntaxError(s: string): string | undefined {
    let i = 0
    class Stop {
        constructor(readonly message: string) {}
    }
    const fail = (context: string): never => {
        throw new Stop(i >= s.length ? "unexpected end of JSON input" : `invalid character ${quoteChar(s[i])} ${context}`)
    }
    const ws = () => {
        while (i < s.length && " \t\r\n".includes(s[i])) i++
    }
    const digits = () => {
        while (i < s.length && s[i] >= "0" && s[i] <= "9") i++
    }
    const str = () => {
        i++ // the opening quote
        for (;;) {
            if (i >= s.length) fail("")
            const c = s[i]
            if (c === '"') return void i++
            if (c.charCodeAt(0) < 0x20) fail("in string literal")
            if (c === "\\") {
                i++
                if (i >= s.length) fail("")
                if ('"\\/bfnrt'.includes(s[i])) i++
                else if (s[i] === "u") {
                    i++
                    for (let k = 0; k < 4; k++) {
                        if (i >= s.length) fail("")
                        if (!/[0-9a-fA-F]/.test(s[i])) fail("in \\u hexadecimal character escape")
                        i++
                    }
                } else fail("in string escape code")
            } else i++
        }
    }
    const value = (): void => {
        ws()
        if (i >= s.length) fail("")
        const c = s[i]
        if (c === "{") {
            i++
            ws()
            if (s[i] === "}") return void i++
            for (;;) {
                ws()
                if (s[i] !== '"') fail("looking for beginning of object key string")
                str()
                ws()
                if (s[i] !== ":") fail("after object key")
                i++
                value()
                ws()
                if (s[i] === ",") {
                    i++
                    continue
                }
                if (s[i] === "}") return void i++
                fail("after object key:value pair")
            }
        }
        if (c === "[") {
            i++
            ws()
            if (s[i] === "]") return void i++
            for (;;) {
                value()
                ws()
                if (s[i] === ",") {
                    i++
                    continue
                }
                if (s[i] === "]") return void i++
                fail("after array element")
            }
        }
        if (c === '"') return str()
        for (const lit of ["true", "false", "null"])
            if (c === lit[0]) {
                i++
                for (let k = 1; k < lit.length; k++, i++) if (s[i] !== lit[k]) fail(`in literal ${lit} (expecting ${quoteChar(lit[k])})`)
                return
            }
        if (c === "-" || (c >= "0" && c <= "9")) {
            if (c === "-") {
                i++
                if (!(s[i] >= "0" && s[i] <= "9")) fail("in numeric literal")
            }
            if (s[i] === "0") i++
            else digits()
            if (s[i] === ".") {
                i++
                if (!(s[i] >= "0" && s[i] <= "9")) fail("after decimal point in numeric literal")
                digits()
            }
            if (s[i] === "e" || s[i] === "E") {
                i++
                if (s[i] === "+" || s[i] === "-") i++
                if (!(s[i] >= "0" && s[i] <= "9")) fail("in exponent of numeric literal")
                digits()
            }
            return
        }
        fail("looking for beginning of value")
    }
    try {
        value()
        ws()
        if (i < s.length) fail("after top-level value")
        return undefined
    } catch (e) {
        if (e instanceof Stop) return e.message
        throw e
    }
}

const goType = (v: unknown) =>
    v === null ? "null" : Array.isArray(v) ? "array" : typeof v === "object" ? "object" : typeof v === "boolean" ? "bool" : typeof v

/** json.Unmarshal into storage.continueToken: keys matched case-insensitively, the first type error kept. */
function goDecodeToken(v: unknown): { token: { v: string; rv: number; start: string }; typeError?: string } {
    const token = { v: "", rv: 0, start: "" }
    if (v === null) return { token }
    if (typeof v !== "object" || Array.isArray(v))
        return { token, typeError: `json: cannot unmarshal ${goType(v)} into Go value of type storage.continueToken` }
    let typeError: string | undefined
    const mismatch = (got: unknown, field: string, type: string) =>
        (typeError ??= `json: cannot unmarshal ${goType(got)}${typeof got === "number" ? ` ${got}` : ""} into Go struct field continueToken.${field} of type ${type}`)
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        const field = (["v", "rv", "start"] as const).find(f => f === k.toLowerCase())
        if (!field || x === null) continue
        if (field === "rv") {
            if (typeof x === "number" && Number.isSafeInteger(x)) token.rv = x
            else if (typeof x === "number") mismatch(x, "rv", "int64")
            else (typeError ??= `json: cannot unmarshal ${goType(x)} into Go struct field continueToken.rv of type int64`)
        } else if (typeof x === "string") token[field] = x
        else (typeError ??= `json: cannot unmarshal ${goType(x)} into Go struct field continueToken.${field} of type string`)
    }
    return { token, typeError }
}
