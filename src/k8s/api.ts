import { findJsonString } from "./models"

// The Kubernetes side of a request: content types, the reply's status and
// Status reason for log lines, the Date header for the clock. Replies are
// read in prefix mode: enough for metadata.uid or a Status reason, while the
// rest of a 5 KB Node streams past without touching the heap.

export const JSON_TYPE = "application/json"
export const MERGE_PATCH = "application/merge-patch+json"
export const STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"

/** metadata.uid sits in the first ~150 bytes of an object; a Status reason in ~300. */
export const REPLY_PREFIX_BYTES = 512

/** The part of a fetch Response the kubelet uses. */
export interface FetchResponse {
    status: number
    headers: { get(name: string): string }
    text(): any
}

export type FetchFn = (
    path: string,
    init: { method: string; headers?: any; body?: string; bodyMode?: "buffer" | "discard" | "prefix"; prefixBytes?: number }
) => Promise<FetchResponse>

export interface KubeReply {
    status: number
    /** The Date header, "" when absent. */
    date: string
    /** The first REPLY_PREFIX_BYTES of the body. */
    head: string
}

export class KubeApi {
    /** ds.millis() of the latest reply of any status: the server was reachable. */
    lastContactMs = -1

    constructor(
        private readonly fetchFn: FetchFn,
        private readonly monotonic: () => number,
        /** Closes the shared connection; the next call opens a fresh one. */
        readonly dropConnection: () => Promise<void>
    ) {}

    async call(method: string, path: string, body?: string, contentType?: string): Promise<KubeReply> {
        const headers: any = {}
        if (body !== undefined) headers["Content-Type"] = contentType || JSON_TYPE
        const res = await this.fetchFn(path, {
            method,
            headers,
            body,
            bodyMode: "prefix",
            prefixBytes: REPLY_PREFIX_BYTES,
        })
        this.lastContactMs = this.monotonic()
        const head = await res.text()
        return { status: res.status, date: res.headers.get("date") || "", head: head || "" }
    }
}

export function isSuccess(r: KubeReply): boolean {
    return r.status >= 200 && r.status < 300
}

/** "409 AlreadyExists: nodes \"x\" already exists" for log lines. */
export function describeReply(r: KubeReply): string {
    const reason = findJsonString(r.head, "reason")
    const message = findJsonString(r.head, "message")
    let s = "" + r.status
    if (reason) s += " " + reason
    if (message) s += ": " + message
    return s
}

/** An HTTP status as a thrown error, so retry loops treat it like a network error. */
export class ApiStatusError extends Error {
    constructor(
        readonly what: string,
        readonly reply: KubeReply
    ) {
        super(`${what}: ${describeReply(reply)}`)
        this.name = "ApiStatusError"
    }
}
