// Preloaded (node -r) into every simulator VM process: the program's socket
// reads arrive as the board delivers them. The board's firmware
// (devicescript-esp32, main/sock.c) reads its one socket into a 1024-byte
// buffer and hands each read to the VM as its own event, a Buffer in the
// GC heap; Node's sockets hand over up to 16 KB at once. Left as Node's,
// a 6 KB reply would need one 6 KB hole in the 64 KB heap, where the board
// needs six 1 KB ones: the heap figures would be the simulator's, not the
// board's. Only the VM's own socket is cut (opened with an options object);
// the Jacdac link to devtools (host and port as arguments) is left alone.
"use strict"
const net = require("node:net")
const tls = require("node:tls")

/** The board's read buffer (sockbuf in devicescript-esp32's main/sock.c). */
const BOARD_READ_BYTES = 1024

function boardReads(sock) {
    const on = sock.on
    sock.on = function (event, listener) {
        if (event !== "data") return on.call(this, event, listener)
        return on.call(this, event, buf => {
            for (let at = 0; at < buf.length; at += BOARD_READ_BYTES) listener(buf.subarray(at, at + BOARD_READ_BYTES))
        })
    }
    return sock
}

const tlsConnect = tls.connect
tls.connect = function (...args) {
    return boardReads(tlsConnect.apply(this, args))
}
const createConnection = net.createConnection
net.createConnection = function (...args) {
    const sock = createConnection.apply(this, args)
    return typeof args[0] === "object" ? boardReads(sock) : sock
}

module.exports = { BOARD_READ_BYTES }
