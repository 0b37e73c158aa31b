// Typed transport errors. Each sets a stable `name` (also its counter key) and
// a message saying where (host:port), in which phase, and what happened. No
// message is ever built from request headers, so the token never appears.
// One class, the kind in `name`: a subclass per kind added nothing but
// its name, and cost 0.2 KB of bytecode.

export type NetErrorName =
    | "TimeoutError"
    | "ConnectFailedError"
    | "TlsFailedError"
    | "ConnectionClosedError"
    | "BadResponseError"
    | "BodyTooLargeError"

/** Phases of one exchange, as they appear in messages. */
export type Phase = "queue" | "connect" | "send" | "headers" | "body"

export class NetError extends Error {
    constructor(name: NetErrorName, where: string, phase: Phase, detail: string) {
        super(`${name}: ${where}: ${phase}: ${detail}`)
        this.name = name
    }
}

/** The error's stable name, "Error" for anything that is not ours. */
export function errorName(e: any): string {
    if (e && typeof e.name === "string") return e.name
    return "Error"
}

/** True for a NetError with that name. */
export function isNetError(e: any, name?: NetErrorName): boolean {
    if (!(e instanceof NetError)) return false
    return name === undefined || e.name === name
}
