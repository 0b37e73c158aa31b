// startRegistry: a real OCI registry (CNCF distribution, tools/registry/binary.ts)
// on loopback for tests and `npm start -- --real`. Plain HTTP on 127.0.0.1
// only (no TLS), on a port the kernel picks, its blobs on disk in the data
// directory, its log kept there after it stops. Anonymous by default; with
// `tokenAuth` it answers 401 until a client brings a token from a token server
// of ours (token-server.ts), as Docker Hub, GHCR and Harbor do.
import { randomBytes } from "node:crypto"
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { eachLine, startChild, stopChild } from "../simulator/children"
import { Credentials } from "./auth"
import { ensureRegistry, RegistryBinary } from "./binary"
import { startTokenServer, TokenRequest, TokenServer, TokenServerOptions } from "./token-server"

export const TOKEN_SERVICE = "picokubelet-registry"
export const TOKEN_ISSUER = "picokubelet-token-server"

export interface RegistryOptions {
    /** Where the config, the blobs and registry.log go; default a new temporary directory (kept after stop). */
    dataDir?: string
    /** Progress lines (a build, start-up); default console.log. */
    log?: (line: string) => void
    /** How long to wait for the registry to answer; default 30 s. */
    startTimeoutMs?: number
    /** Token authentication (`auth: token:`): pulls need a token, which the token server gives anyone; pushes need `credentials`. */
    tokenAuth?: boolean
    /** Tokens' lifetime; default 300 s (Docker Hub's). The registry accepts a token for 60 s past it. */
    tokenTtlSeconds?: number
    /** How tokens name their key: "x5c" (default, a certificate in every token) or "kid" (much shorter; v3 only). */
    tokenSigning?: TokenServerOptions["signing"]
    /** The JSON member the token comes in: "token" (default), "access_token", or "both". */
    tokenResponse?: TokenServerOptions["response"]
}

export interface Registry {
    /** http://127.0.0.1:PORT (plain HTTP, loopback only). */
    url: string
    /** 127.0.0.1:PORT: the registry part of a reference, e.g. `${host}/picokubelet/firmware:v1`. */
    host: string
    port: number
    dataDir: string
    logFile: string
    binary: RegistryBinary
    /** With tokenAuth: the token server's URL (http://127.0.0.1:OTHERPORT/token), the challenges' realm. */
    tokenRealm?: string
    /** With tokenAuth: every request the token server had, in order (tests clear it with `length = 0`). */
    tokenRequests?: TokenRequest[]
    /** With tokenAuth: the Basic credentials the token server gives push for (pushFirmware's `credentials`). */
    credentials?: Credentials
    stop(): Promise<void>
}

/** No registry command and no Go to build one: the caller skips (and fails under CI=true). */
export class RegistrySkipped extends Error {}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

function logTail(file: string, lines = 30): string {
    if (!existsSync(file)) return "(no log)"
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n")
}

/** distribution's configuration (version 0.1: v3 and Debian's 2.8 read the same). */
function configYaml(dataDir: string, token?: TokenServer): string {
    const auth = token
        ? ["auth:", "  token:", `    realm: ${token.realm}`, `    service: ${TOKEN_SERVICE}`, `    issuer: ${TOKEN_ISSUER}`, `    rootcertbundle: ${token.rootCertFile}`]
        : []
    return [
        "version: 0.1",
        "log:",
        "  level: info",
        "  formatter: text",
        "storage:",
        "  filesystem:",
        `    rootdirectory: ${join(dataDir, "storage")}`,
        "  delete:",
        "    enabled: true",
        "  maintenance:",
        "    uploadpurging:",
        "      enabled: false",
        "http:",
        // port 0: the kernel picks a free one, and the registry logs which
        "  addr: 127.0.0.1:0",
        `  secret: ${randomBytes(16).toString("hex")}`,
        ...auth,
        "",
    ].join("\n")
}

/** Starts a registry; throws RegistrySkipped without a command and without Go, or an Error with its log's tail. */
export async function startRegistry(opts: RegistryOptions = {}): Promise<Registry> {
    const log = opts.log ?? console.log
    const ensured = await ensureRegistry(log)
    if ("skipped" in ensured) throw new RegistrySkipped(ensured.skipped)
    const binary = ensured.binary
    const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), "picokubelet-registry-"))
    mkdirSync(dataDir, { recursive: true })
    const credentials = opts.tokenAuth ? { username: "picokubelet", password: randomBytes(12).toString("hex") } : undefined
    // first, so the registry's config can name its realm and trust its CA
    const token =
        credentials &&
        (await startTokenServer({
            dir: join(dataDir, "token"),
            service: TOKEN_SERVICE,
            issuer: TOKEN_ISSUER,
            credentials,
            ttlSeconds: opts.tokenTtlSeconds ?? 300,
            signing: opts.tokenSigning ?? "x5c",
            response: opts.tokenResponse ?? "token",
        }))
    const configFile = join(dataDir, "config.yml")
    writeFileSync(configFile, configYaml(dataDir, token))
    const logFile = join(dataDir, "registry.log")
    const out = createWriteStream(logFile, { flags: "a" })

    const child = startChild(binary.path, ["serve", configFile], { cwd: dataDir, env: { ...process.env, OTEL_TRACES_EXPORTER: "none" } })
    let port = 0
    let exited: string | undefined
    const onLine = (line: string) => {
        out.write(line + "\n")
        const m = /listening on (?:127\.0\.0\.1|\[::\]|0\.0\.0\.0|localhost)?:(\d+)/.exec(line)
        if (m && +m[1] && !port) port = +m[1]
    }
    eachLine(child.stdout!, onLine)
    eachLine(child.stderr!, onLine)
    child.on("exit", (code, signal) => (exited = `exited (${signal ?? code})`))

    const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000)
    const fail = async (why: string) => {
        await stopChild(child)
        await token?.close()
        await new Promise(r => out.end(r))
        return new Error(`registry (${binary.version}, ${binary.path}) ${why}; log ${logFile}:\n${logTail(logFile)}`)
    }
    while (!port) {
        if (exited) throw await fail(exited + " before listening")
        if (Date.now() > deadline) throw await fail("did not say where it listens")
        await sleep(50)
    }
    const url = `http://127.0.0.1:${port}`
    // with token auth, an anonymous /v2/ is a 401: that is the registry up and asking for a token
    const ready = token ? 401 : 200
    for (;;) {
        if (exited) throw await fail(exited)
        const ok = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(2000) }).then(
            r => r.status === ready,
            () => false
        )
        if (ok) break
        if (Date.now() > deadline) throw await fail(`did not answer GET ${url}/v2/ with ${ready}`)
        await sleep(100)
    }
    let stopped = false
    return {
        url,
        host: `127.0.0.1:${port}`,
        port,
        dataDir,
        logFile,
        binary,
        ...(token && { tokenRealm: token.realm, tokenRequests: token.requests, credentials }),
        async stop() {
            if (stopped) return
            stopped = true
            await stopChild(child)
            await token?.close()
            await new Promise(r => out.end(r))
        },
    }
}
