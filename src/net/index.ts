// The transport's public surface: one keep-alive HTTP/1.1 client for every API call.
export { HttpClient, Response, DEFAULT_TIMEOUT_MS, DEFAULT_QUEUE_TIMEOUT_MS } from "./client"
export type { ClientOptions, FetchInit } from "./client"
export { Headers } from "./headers"
export { DEFAULT_MAX_BODY, MAX_HEAD_BYTES } from "./response-parser"
export type { BodyMode, BodySink } from "./response-parser"
export { TransportCounters } from "./counters"
export {
    NetError,
    TimeoutError,
    ConnectFailedError,
    TlsFailedError,
    ConnectionClosedError,
    BadResponseError,
    BodyTooLargeError,
    errorName,
    isNetError,
} from "./errors"
export type { NetErrorName, Phase } from "./errors"
export { PICOKUBELET_VERSION, USER_AGENT } from "./version"
export { MAX_WRITE } from "./wire"
export type { Dialer, Wire } from "./wire"
