// The Wire on DeviceScript's one socket (@devicescript/net connect()).
import * as ds from "@devicescript/core"
// the sockets module alone: the package index also brings fetch, MQTT and
// encrypted fetch, whose classes cost heap at start-up (~3 KB measured)
import { connect, Socket } from "@devicescript/net/src/sockets"
import { Dialer, Wire } from "./wire"

/** Socket.send's message when the native write queue is full (nothing was written). */
const QUEUE_FULL = "send error -1"

/**
 * Calls send until it goes through. DeviceScript's Socket.send, on a full
 * write queue (-1: the ESP32 socket task has 50 writes pending), sleeps 10 ms
 * and then throws anyway although nothing was written: the write can simply
 * be retried. Any other error, or the deadline, ends the attempts.
 */
export async function sendRetryingFullQueue(send: () => Promise<void>, deadline: number): Promise<number> {
    let retries = 0
    for (;;) {
        try {
            await send()
            return retries
        } catch (e: any) {
            const msg = "" + (e && e.message)
            if (msg.indexOf(QUEUE_FULL) < 0 || ds.millis() >= deadline) throw e
            retries++
            // Socket.send slept 10 ms already; let the socket task drain more
            await ds.sleep(retries < 5 ? 5 : 20)
        }
    }
}

class SocketWire implements Wire {
    private closed = false
    constructor(private sock: Socket) {
        // DeviceScript closures cannot capture `this`
        const self = this
        sock.onclose.subscribe(() => {
            self.closed = true
        })
        sock.onerror.subscribe(() => {
            self.closed = true
        })
    }
    async send(data: Buffer | string) {
        const s = this.sock
        // the write queue drains within a few seconds or the socket is dead
        await sendRetryingFullQueue(async () => await s.send(data), ds.millis() + 5000)
    }
    async recv(timeoutMs: number) {
        return await this.sock.recv(timeoutMs)
    }
    async close() {
        this.closed = true
        await this.sock.close()
    }
    isClosed() {
        return this.closed
    }
}

/** Dials with connect({ proto: "tls" | "tcp" }); opening kills any other socket of the program. */
export class SocketDialer implements Dialer {
    async dial(host: string, port: number, tls: boolean, timeoutMs: number): Promise<Wire> {
        const sock = await connect({ host, port, proto: tls ? "tls" : "tcp", timeout: timeoutMs > 0 ? timeoutMs : 1 })
        return new SocketWire(sock)
    }
}
