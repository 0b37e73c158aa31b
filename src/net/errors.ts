// Typed transport errors. Each sets a stable `name` (also its counter key) and
// a message saying where (host:port), in which phase, and what happened. No
// message is ever built from request headers, so the token never appears.

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

export class TimeoutError extends NetError {
    constructor(where: string, phase: Phase, detail: string) {
        super("TimeoutError", where, phase, detail)
    }
}

export class ConnectFailedError extends NetError {
    constructor(where: string, detail: string) {
        super("ConnectFailedError", where, "connect", detail)
    }
}

export class TlsFailedError extends NetError {
    constructor(where: string, phase: Phase, detail: string) {
        super("TlsFailedError", where, phase, detail)
    }
}

export class ConnectionClosedError extends NetError {
    constructor(where: string, phase: Phase, detail: string) {
        super("ConnectionClosedError", where, phase, detail)
    }
}

export class BadResponseError extends NetError {
    constructor(where: string, phase: Phase, detail: string) {
        super("BadResponseError", where, phase, detail)
    }
}

export class BodyTooLargeError extends NetError {
    constructor(where: string, detail: string) {
        super("BodyTooLargeError", where, "body", detail)
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
