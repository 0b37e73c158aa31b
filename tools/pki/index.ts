// Certificates made with the openssl binary, for the emulator and the local
// control plane alike. Each file set is generated in a scratch directory and
// renamed into place, so a crash leaves no half-made set behind.
import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { basename, join } from "node:path"

export interface KeyPair {
    certFile: string
    keyFile: string
}

export interface CertRequest {
    /** File stem: `<name>.pem` and `<name>-key.pem`. */
    name: string
    cn: string
    /** Subject organisation: a Kubernetes group for client certificates. */
    org?: string
    /** subjectAltName entries, e.g. "DNS:localhost", "IP:127.0.0.1". */
    sans?: string[]
    usage: "server" | "client"
}

const openssl = (args: string[], cwd: string) => execFileSync("openssl", args, { cwd, stdio: "pipe" })

const pairIn = (dir: string, name: string): KeyPair => ({ certFile: join(dir, `${name}.pem`), keyFile: join(dir, `${name}-key.pem`) })

const complete = (pair: KeyPair) => existsSync(pair.certFile) && existsSync(pair.keyFile)

/** Runs `make` in a scratch directory and moves the files it names into `dir`. */
function generate(dir: string, files: string[], make: (tmp: string) => void) {
    mkdirSync(dir, { recursive: true })
    const tmp = join(dir, `.gen-${process.pid}-${basename(files[0])}`)
    mkdirSync(tmp, { recursive: true })
    try {
        make(tmp)
        for (const f of files) renameSync(join(tmp, basename(f)), f)
    } finally {
        rmSync(tmp, { recursive: true, force: true })
    }
}

/** A self-signed CA, reused when it exists so clients can keep trusting it. */
export function ensureCa(dir: string, name: string, cn: string): KeyPair {
    const ca = pairIn(dir, name)
    if (complete(ca)) return ca
    generate(dir, [ca.keyFile, ca.certFile], tmp =>
        openssl(
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", basename(ca.keyFile), "-out", basename(ca.certFile),
                "-days", "3650", "-subj", `/CN=${cn}`,
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
            tmp
        )
    )
    return ca
}

/** A certificate signed by `ca`, reused when it exists. */
export function ensureCert(dir: string, ca: KeyPair, req: CertRequest): KeyPair {
    const pair = pairIn(dir, req.name)
    if (complete(pair)) return pair
    const subject = `${req.org ? `/O=${req.org}` : ""}/CN=${req.cn}`
    const ext = [
        req.sans?.length ? `subjectAltName=${req.sans.join(",")}` : "",
        `extendedKeyUsage=${req.usage === "server" ? "serverAuth" : "clientAuth"}`,
        "keyUsage=critical,digitalSignature,keyEncipherment",
    ].filter(Boolean)
    generate(dir, [pair.keyFile, pair.certFile], tmp => {
        openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", basename(pair.keyFile), "-out", "req.csr", "-subj", subject], tmp)
        writeFileSync(join(tmp, "ext.cnf"), ext.join("\n") + "\n")
        openssl(
            ["x509", "-req", "-in", "req.csr", "-CA", ca.certFile, "-CAkey", ca.keyFile, "-CAcreateserial", "-CAserial", "ca.srl",
                "-out", basename(pair.certFile), "-days", "3650", "-extfile", "ext.cnf"],
            tmp
        )
    })
    return pair
}

/** An RSA key pair without a certificate (ServiceAccount token signing). */
export function ensureKeyPair(dir: string, name: string): { publicFile: string; privateFile: string } {
    const files = { publicFile: join(dir, `${name}.pub`), privateFile: join(dir, `${name}.key`) }
    if (existsSync(files.publicFile) && existsSync(files.privateFile)) return files
    generate(dir, [files.privateFile, files.publicFile], tmp => {
        openssl(["genrsa", "-out", basename(files.privateFile), "2048"], tmp)
        openssl(["rsa", "-in", basename(files.privateFile), "-pubout", "-out", basename(files.publicFile)], tmp)
    })
    return files
}
