// The emulator's CA and serving certificate, made on first start and reused
// afterwards, so a board can keep the CA it was given.
import { readFileSync } from "node:fs"
import { networkInterfaces } from "node:os"
import { ensureCa, ensureCert } from "../pki"

export interface Certs {
    caFile: string
    caKeyFile: string
    certFile: string
    keyFile: string
}

/** Loopback plus this machine's IPv4 addresses, so a board on the LAN can verify the name it dials. */
function subjectAltNames(): string[] {
    const ips = new Set(["127.0.0.1"])
    for (const addrs of Object.values(networkInterfaces()))
        for (const a of addrs ?? []) if (a.family === "IPv4") ips.add(a.address)
    return ["DNS:localhost", "DNS:kubernetes", "DNS:kubernetes.default", ...[...ips].map(ip => `IP:${ip}`)]
}

export function ensureCerts(dir: string): Certs {
    const ca = ensureCa(dir, "ca", "picokubelet-emulator-ca")
    const serving = ensureCert(dir, ca, { name: "apiserver", cn: "kube-apiserver", sans: subjectAltNames(), usage: "server" })
    return { caFile: ca.certFile, caKeyFile: ca.keyFile, certFile: serving.certFile, keyFile: serving.keyFile }
}

export const readPem = (file: string) => readFileSync(file, "utf8")
