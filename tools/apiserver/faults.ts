// Faults armed by tests: the next N requests matching a method and path
// pattern are broken in one of the ways a flaky network or server breaks them.

export type FaultKind = "delay" | "close" | "reset-mid-body" | "truncate-chunked" | "status" | "garbage" | "oversize"

export interface FaultSpec {
    method?: string
    /** Substring of, or pattern for, the request target (path and query). */
    path: string | RegExp
    /** How many matching requests it applies to (default 1; Infinity for all). */
    count?: number
    kind: FaultKind
    /** delay: how long to hold the request before handling it. */
    ms?: number
    /** status: the code to answer with (500, 503, 429, ...). */
    code?: number
    /** status: Retry-After seconds (429 defaults to 1). */
    retryAfter?: number
    /** garbage: how many random bytes; oversize: the body size (default 1 MiB). */
    bytes?: number
}

export class Faults {
    private armed: { spec: FaultSpec; left: number }[] = []

    add(spec: FaultSpec): void {
        this.armed.push({ spec, left: spec.count ?? 1 })
    }

    clear(): void {
        this.armed = []
    }

    /** The fault the next request gets, if any; consumes one of its uses. */
    take(method: string, target: string): FaultSpec | undefined {
        const hit = this.armed.find(
            f =>
                (!f.spec.method || f.spec.method.toUpperCase() === method) &&
                (typeof f.spec.path === "string" ? target.includes(f.spec.path) : f.spec.path.test(target))
        )
        if (!hit) return undefined
        if (--hit.left <= 0) this.armed = this.armed.filter(f => f !== hit)
        return hit.spec
    }
}
