// Addresses as the platform service carries them: bytes in wire order.

export function parseIpv4(text: string): Uint8Array {
    const parts = text.split(".")
    if (parts.length !== 4 || parts.some(p => !/^\d{1,3}$/.test(p) || +p > 255))
        throw new Error(`not an IPv4 address: ${JSON.stringify(text)}`)
    return Uint8Array.from(parts.map(Number))
}

export function formatIpv4(bytes: Uint8Array): string {
    return Array.from(bytes ?? []).join(".")
}

export function parseMac(text: string): Uint8Array {
    const parts = text.split(/[:-]/)
    if (parts.length !== 6 || parts.some(p => !/^[0-9a-fA-F]{2}$/.test(p)))
        throw new Error(`not a MAC address: ${JSON.stringify(text)}`)
    return Uint8Array.from(parts.map(p => parseInt(p, 16)))
}

export function formatMac(bytes: Uint8Array): string {
    return Array.from(bytes ?? [])
        .map(b => b.toString(16).padStart(2, "0"))
        .join(":")
}
