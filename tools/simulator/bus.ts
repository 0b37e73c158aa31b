import { JDBus, WebSocketTransport } from "jacdac-ts"
import WebSocket from "ws"
import { DEVTOOLS_PORTS } from "./devtools"

// A jacdac-ts bus in this Node process, joined to the running devtools over
// its websocket: devtools relays every Jacdac frame between its websocket
// clients and the VMs on its TCP port, so devices hosted here (the platform
// service) are seen by the firmware, and the VM's own services (the LED) can
// be watched and read from here.
//
// jacdac-ts' WebSocketTransport takes the WebSocket class as an option; the
// `ws` package provides one with the browser interface it expects (binaryType
// "arraybuffer", onopen/onmessage/onclose), so no global polyfill is needed.

export interface NodeBus {
    bus: JDBus
    stop(): Promise<void>
}

export async function startBus(url = `ws://127.0.0.1:${DEVTOOLS_PORTS.ws}`): Promise<NodeBus> {
    const transport = new WebSocketTransport(url, { WebSocket, protocols: undefined as any })
    // not a client: it must not grab role managers or act on the VM's roles;
    // it only hosts servers and reads registers
    const bus = new JDBus([transport], { client: false, disableRoleManager: true })
    try {
        await bus.connect()
        if (!transport.connected) throw new Error(`jacdac bus could not connect to ${url}`)
    } catch (e) {
        await bus.dispose()
        throw e
    }
    let stopped = false
    return {
        bus,
        async stop() {
            if (stopped) return
            stopped = true
            for (const p of bus.serviceProviders()) bus.removeServiceProvider(p)
            await bus.dispose()
        },
    }
}
