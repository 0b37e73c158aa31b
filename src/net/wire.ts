// What the connection needs from a socket, so the connection and queue logic
// can be tested in the VM with a fake, and run on DeviceScript's socket.

/** One open byte stream. */
export interface Wire {
    /** A string goes out as its UTF-8 bytes. */
    send(data: Buffer | string): Promise<void>
    /** Next bytes; null when the peer closed, undefined when timeoutMs passed. Throws on a socket error. */
    recv(timeoutMs: number): Promise<Buffer | null | undefined>
    close(): Promise<void>
    /** True once the peer closed or the socket failed (seen without reading). */
    isClosed(): boolean
}

/** Opens wires. Throws an Error whose message says why (refused, timeout, certificate...). */
export interface Dialer {
    dial(host: string, port: number, tls: boolean, timeoutMs: number): Promise<Wire>
}

/** Largest single socket write: the ESP32's mbedTLS output buffer is 4 KB. */
export const MAX_WRITE = 2048
