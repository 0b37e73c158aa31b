import * as ds from "@devicescript/core"
import { currentControl } from "@devicescript/runtime"
import { Config } from "../settings/settings"
import { NodeIdentity } from "../k8s/bodies"

// Identity fields of nodeInfo. machineID is 32 hex digits on Linux; the
// device id has 16, so it is prefixed with "picokubl" in hex to keep the
// width and stay stable across reboots. bootID is random per boot.

const MACHINE_PREFIX = "7069636f6b75626c"

const HEX = "0123456789abcdef"

function randomHex(width: number): string {
    let s = ""
    for (let i = 0; i < width; i++) s += HEX[Math.floor(Math.random() * 16)]
    return s
}

/** 8-4-4-4-12 grouping of 32 hex digits. */
export function uuidFromHex(h: string): string {
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`
}

export function machineIdFor(deviceId: string): string {
    return MACHINE_PREFIX + deviceId.toLowerCase()
}

/** A random version-4 UUID. */
export function randomUuid(): string {
    const h = randomHex(32)
    // version nibble 4, variant bits 10xx
    return uuidFromHex(h.slice(0, 12) + "4" + h.slice(13, 16) + "89ab"[Math.floor(Math.random() * 4)] + h.slice(17))
}

/**
 * "devicescript-2.16.4" from the runtime's firmware version. The simulator
 * reports 0.0.0 (it has no firmware): it is named for what it is instead.
 */
export async function runtimeVersion(): Promise<string> {
    const v = await currentControl().firmwareVersion.read()
    if (!v || v === "0.0.0") return ds.isSimulator() ? "devicescript-simulator" : "devicescript-unknown"
    return "devicescript-" + (v.charAt(0) === "v" ? v.slice(1) : v)
}

export async function nodeIdentity(config: Config, internalIP: string): Promise<NodeIdentity> {
    const machineID = machineIdFor(ds.deviceIdentifier("self"))
    return {
        name: config.nodeName,
        internalIP,
        machineID,
        systemUUID: uuidFromHex(machineID),
        bootID: randomUuid(),
        kernelVersion: await runtimeVersion(),
        maxPods: config.maxPods,
        taintKey: config.taintKey,
        firmwareVersion: ds._dcfgString("@version") || "",
    }
}
