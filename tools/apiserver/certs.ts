// A private CA and a serving certificate, made with the openssl binary on
// first start and reused afterwards, so a board can keep the CA it was given.
import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { networkInterfaces } from "node:os"
import { basename, join } from "node:path"

export interface Certs {
    caFile: string
    caKeyFile: string
    certFile: string
    keyFile: string
}

const openssl = (args: string[], cwd: string) => execFileSync("openssl", args, { cwd, stdio: "pipe" })

/** Loopback plus this machine's IPv4 addresses, so a board on the LAN can verify the name it dials. */
function subjectAltNames(): string {
    const ips = new Set(["127.0.0.1"])
    for (const addrs of Object.values(networkInterfaces()))
        for (const a of addrs ?? []) if (a.family === "IPv4") ips.add(a.address)
    return ["DNS:localhost", "DNS:kubernetes", "DNS:kubernetes.default", ...[...ips].map(ip => `IP:${ip}`)].join(",")
}

export function ensureCerts(dir: string): Certs {
    mkdirSync(dir, { recursive: true })
    const certs: Certs = {
        caFile: join(dir, "ca.pem"),
        caKeyFile: join(dir, "ca-key.pem"),
        certFile: join(dir, "apiserver.pem"),
        keyFile: join(dir, "apiserver-key.pem"),
    }
    if (Object.values(certs).every(f => existsSync(f))) return certs
    // generated beside the final names and renamed, so a crash leaves no half set
    const tmp = join(dir, `.gen-${process.pid}`)
    mkdirSync(tmp, { recursive: true })
    try {
        openssl(
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca-key.pem", "-out", "ca.pem",
                "-days", "3650", "-subj", "/CN=picokubelet-emulator-ca",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
            tmp
        )
        openssl(
            ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "apiserver-key.pem", "-out", "apiserver.csr",
                "-subj", "/CN=kube-apiserver"],
            tmp
        )
        writeFileSync(
            join(tmp, "ext.cnf"),
            `subjectAltName=${subjectAltNames()}\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n`
        )
        openssl(
            ["x509", "-req", "-in", "apiserver.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial",
                "-out", "apiserver.pem", "-days", "3650", "-extfile", "ext.cnf"],
            tmp
        )
        for (const f of Object.values(certs)) renameSync(join(tmp, basename(f)), f)
    } finally {
        rmSync(tmp, { recursive: true, force: true })
    }
    return certs
}

export const readPem = (file: string) => readFileSync(file, "utf8")
