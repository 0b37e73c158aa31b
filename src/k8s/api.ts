// The Kubernetes side of a request: content types, the reply's status and
// Status reason for log lines, the Date header for the clock. Replies are
// read in prefix mode: enough for metadata.uid or a Status reason, while the
// rest of a 5 KB Node streams past without touching the heap. A Status comes
// in JSON or, when protobuf was asked for, in protobuf: both are read.
//
// One contract for every call: a 2xx reply is returned, anything else is
// thrown as an ApiStatusError, so retry loops treat a refusal like a network
// error and a caller that expects a status (404, 409) catches it by number.
import { ProtoScanner } from "./proto-stream"

export const JSON_TYPE = "application/json"
export const MERGE_PATCH = "application/merge-patch+json"
export const STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
/** The real kubelet's encoding: the smallest reply the API server gives. */
export const PROTOBUF = "application/vnd.kubernetes.protobuf"
/**
 * The object's metadata alone, in protobuf; the second clause is for
 * errors, which have no metadata form (alone, the first gets them as
 * indented JSON).
 */
export const PROTOBUF_METADATA_ONLY = PROTOBUF + ";as=PartialObjectMetadata;g=meta.k8s.io;v=v1"
export const PROTOBUF_METADATA = PROTOBUF_METADATA_ONLY + ", " + PROTOBUF
/**
 * A list's items as their metadata alone, in protobuf. No second clause:
 * the pod listing runs every pod period, and a refused one (rare) is read
 * as well in JSON; the clause would cost 38 B a listing.
 */
export const PROTOBUF_METADATA_LIST = PROTOBUF + ";as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
/** metadata.uid and metadata.resourceVersion of a PartialObjectMetadata reply (raw 2, metadata 1). */
export const UID = [2, 1, 5]
export const RESOURCE_VERSION = [2, 1, 6]
/** A Status in protobuf: its message and reason. */
const STATUS_FIELDS = [[2, 3], [2, 4]]

/** metadata.uid sits in the first ~150 bytes of an object; a Status reason in ~300. */
export const REPLY_PREFIX_BYTES = 512

/** The part of a fetch Response the kubelet uses. */
export interface FetchResponse {
    status: number
    headers: { get(name: string): string }
    /** The kept body bytes. */
    buffer(): Buffer
}

/**
 * A request body, or a function that builds it when the request goes out:
 * a large body is then not held while the request waits behind another,
 * nor while its reply comes in. A body in pieces is written piece by piece.
 */
export type Body = string | (() => string | string[])

/** Takes a 2xx body a piece at a time (stream mode). */
export type BodySink = (buf: Buffer, from: number, to: number) => void

export type FetchFn = (
    path: string,
    init: {
        method: string
        headers?: any
        body?: Body
        bodyMode?: "buffer" | "discard" | "prefix" | "stream"
        prefixBytes?: number
        sink?: BodySink
    }
) => Promise<FetchResponse>

export interface KubeReply {
    status: number
    /** The Date header, "" when absent. */
    date: string
    /** The first REPLY_PREFIX_BYTES of a JSON body; "" for protobuf. */
    bodyPrefix: string
    /** A refusal's Status reason and message, "" when it has none. */
    reason: string
    message: string
}

export class KubeApi {
    /** Monotonic ms of the latest reply of any status: the server was reachable. */
    lastContactMs = -1

    constructor(
        private readonly fetchFn: FetchFn,
        private readonly monotonic: () => number,
        /** Closes the shared connection; the next call opens a fresh one. */
        readonly dropConnection: () => Promise<void>
    ) {}

    /**
     * The reply when its status is 2xx; throws ApiStatusError otherwise, and
     * whatever the transport throws. With `sink`, a 2xx body goes there as it
     * arrives (bodyPrefix is then empty).
     */
    async call(what: string, method: string, path: string, body?: Body, contentType?: string, sink?: BodySink, accept?: string): Promise<KubeReply> {
        const headers: any = {}
        if (body !== undefined) headers["Content-Type"] = contentType || JSON_TYPE
        if (accept) headers["Accept"] = accept
        const bodyMode = sink ? "stream" : "prefix"
        return await this.send(what, path, { method, headers, body, bodyMode, prefixBytes: REPLY_PREFIX_BYTES, sink })
    }

    /**
     * call() asking for the reply as the object's metadata alone, in
     * protobuf; returns the metadata string at `field` (UID, RESOURCE_VERSION),
     * "" when the reply had none or could not be read.
     */
    async callForMetadata(what: string, method: string, path: string, field: number[], body?: Body, contentType?: string): Promise<string> {
        let value = ""
        const scanner = new ProtoScanner([field], (i, v) => (value = v || ""))
        await this.call(what, method, path, body, contentType, scanner.push, PROTOBUF_METADATA)
        return scanner.error ? "" : value
    }

    /**
     * GET whose 2xx body goes to `sink` as it arrives, never held whole (a
     * pod list); a refusal is thrown as by call().
     */
    async read(what: string, path: string, sink: BodySink, accept?: string): Promise<KubeReply> {
        const headers: any = {}
        if (accept) headers["Accept"] = accept
        return await this.send(what, path, { method: "GET", headers, bodyMode: "stream", prefixBytes: REPLY_PREFIX_BYTES, sink })
    }

    private async send(what: string, path: string, init: any): Promise<KubeReply> {
        const res = await this.fetchFn(path, init)
        this.lastContactMs = this.monotonic()
        const body = res.buffer()
        const protobuf = (res.headers.get("content-type") || "").indexOf(PROTOBUF) === 0
        const reply: KubeReply = {
            status: res.status,
            date: res.headers.get("date") || "",
            bodyPrefix: protobuf ? "" : body.toString("utf-8"),
            reason: "",
            message: "",
        }
        if (reply.status >= 200 && reply.status < 300) return reply
        if (protobuf) {
            const status = new ProtoScanner(STATUS_FIELDS, (i, v) => {
                if (i === 0) reply.message = v || ""
                else reply.reason = v || ""
            })
            status.push(body, 0, body.length)
        } else {
            reply.reason = findJsonString(reply.bodyPrefix, "reason") || ""
            reply.message = findJsonString(reply.bodyPrefix, "message") || ""
        }
        throw new ApiStatusError(what, reply)
    }
}

const ESCAPED = '"\\/bfnrt'
const UNESCAPED = '"\\/\b\f\n\r\t'

/**
 * Finds a string field in the first bytes of a compact JSON reply without
 * parsing it, e.g. metadata.uid (the first "uid" in a Node object is its
 * own), and unescapes it. Undefined when the key is absent, or its value is
 * cut off by the prefix or not valid JSON: a Status message quoting a name
 * (\"x\") must not end at the escaped quote.
 */
export function findJsonString(json: string, key: string): string {
    const marker = `"${key}":"`
    const at = json.indexOf(marker)
    if (at < 0) return undefined
    let from = at + marker.length
    let value = ""
    for (;;) {
        const quote = json.indexOf('"', from)
        if (quote < 0) return undefined
        const esc = json.indexOf("\\", from)
        if (esc < 0 || esc > quote) return value + json.slice(from, quote)
        value += json.slice(from, esc)
        if (esc + 1 >= json.length) return undefined
        const c = json[esc + 1]
        if (c === "u") {
            const code = hex4(json, esc + 2)
            if (code < 0) return undefined
            value += String.fromCharCode(code)
            from = esc + 6
        } else {
            const k = ESCAPED.indexOf(c)
            if (k < 0) return undefined
            value += UNESCAPED[k]
            from = esc + 2
        }
    }
}

/** The four hex digits at `at` as a number, -1 if they are not there. */
function hex4(s: string, at: number): number {
    if (at + 4 > s.length) return -1
    let v = 0
    for (let i = at; i < at + 4; i++) {
        const c = s.charCodeAt(i)
        const lower = c | 32
        const d = c >= 48 && c <= 57 ? c - 48 : lower >= 97 && lower <= 102 ? lower - 87 : -1
        if (d < 0) return -1
        v = v * 16 + d
    }
    return v
}

/** "409 AlreadyExists: nodes \"x\" already exists" for log lines. */
export function describeReply(r: KubeReply): string {
    let s = "" + r.status
    if (r.reason) s += " " + r.reason
    if (r.message) s += ": " + r.message
    return s
}

/** A non-2xx reply as a thrown error. */
export class ApiStatusError extends Error {
    constructor(
        readonly what: string,
        readonly reply: KubeReply
    ) {
        super(`${what}: ${describeReply(reply)}`)
        this.name = "ApiStatusError"
    }
}

/** The HTTP status of a refused call, 0 for any other error. */
export function replyStatus(e: any): number {
    return e instanceof ApiStatusError ? (e as ApiStatusError).reply.status : 0
}

/** What went wrong, for log lines: the reply for a refusal, else the error's message. */
export function describeFailure(e: any): string {
    return e instanceof ApiStatusError ? describeReply((e as ApiStatusError).reply) : "" + e.message
}
