// The board facts TypeScript cannot see by itself - transport, link, address,
// free heap - as the Picokubelet Platform service (services/) reports them.
// Pure: the reconcilers read a PlatformSource, which tests fake.

/** DeviceScript's GC heap on the ESP32-S3 and in the simulator. */
export const HEAP_BYTES = 65536

/** Transport register values, by name: none, ethernet, wifi, sim. */
export const TRANSPORT_NAMES = ["none", "ethernet", "wifi", "sim"]
/** The simulated platform: its heap figure is set, not measured. */
export const SIM_TRANSPORT = 3

export interface PlatformSnapshot {
    /** False until the platform service has answered once. */
    known: boolean
    transport: number
    linkUp: boolean
    /** Dotted IPv4, "" when there is none. */
    address: string
    /** Free bytes in the DeviceScript heap; -1 until known. */
    heapFree: number
    transportChanges: number
}

/** Where the kubelet reads the latest platform snapshot. */
export interface PlatformSource {
    snapshot(): PlatformSnapshot
}

/** Known and link down: nothing can reach the API server. */
export function linkDown(s: PlatformSnapshot): boolean {
    return s.known && !s.linkUp
}
