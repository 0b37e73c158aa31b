// A token server for the test registry (distribution's `auth: token:`), plain
// HTTP on 127.0.0.1, as Docker Hub's auth.docker.io or Harbor's /service/token
// behave for the requests a board makes: anyone gets pull on any repository,
// Basic credentials (the Registry's own) add push and delete, wrong
// credentials are a 401. Tokens are RS256 JWTs signed by a key certified by a
// CA that the registry trusts through `rootcertbundle`.
//
// How distribution v3 finds the signing key (registry/auth/token/token.go):
// an `x5c` chain that verifies against rootcertbundle (its leaf's key is
// used), else a `kid` that is the RFC 7638 SHA-256 thumbprint of a root
// certificate's key (or a key in a `jwks` file). Debian's 2.8 takes x5c too,
// but wants libtrust-style kids, so x5c is the default here.
import { createHash, createPrivateKey, createPublicKey, KeyObject, randomBytes, sign, X509Certificate } from "node:crypto"
import { readFileSync } from "node:fs"
import { createServer, IncomingMessage, ServerResponse } from "node:http"
import { AddressInfo } from "node:net"
import { ensureCa, ensureCert } from "../pki"
import { basicAuthorization, Credentials } from "./auth"

export interface TokenServerOptions {
    /** Where the CA and the signing certificate go (reused when there). */
    dir: string
    service: string
    issuer: string
    credentials: Credentials
    /** Tokens' `exp` and `expires_in`; distribution accepts a token 60 s past its exp. */
    ttlSeconds: number
    /** "x5c": the leaf certificate in the header (Docker Hub's form, long tokens); "kid": the root key's thumbprint (short tokens, v3 only). */
    signing: "x5c" | "kid"
    /** Which name the token goes under in the JSON: the spec's `token`, OAuth's `access_token`, or both (Docker Hub). */
    response: "token" | "access_token" | "both"
}

export interface TokenRequest {
    method: string
    /** The path and query as sent, e.g. `/token?service=…&scope=repository%3Aa%3Apull`. */
    url: string
    service: string | null
    scopes: string[]
    /** Whether an Authorization: Basic header came with it. */
    credentials: boolean
    status: number
    /** What the token allows, as scopes: `repository:picokubelet/firmware:pull`. */
    granted: string[]
}

export interface TokenServer {
    /** http://127.0.0.1:PORT/token: the registry's `realm`. */
    realm: string
    /** The CA certificate: the registry's `rootcertbundle`. */
    rootCertFile: string
    requests: TokenRequest[]
    close(): Promise<void>
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString("base64url")

/** RFC 7638, as distribution's GetJWKThumbprint computes it (members in lexicographic order). */
export function jwkThumbprint(key: KeyObject): string {
    const jwk = key.export({ format: "jwk" })
    const canonical = jwk.kty === "RSA" ? { e: jwk.e, kty: "RSA", n: jwk.n } : { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }
    return b64url(createHash("sha256").update(JSON.stringify(canonical)).digest())
}

export function signJwt(header: object, claims: object, key: KeyObject): string {
    const input = `${b64url(JSON.stringify({ typ: "JWT", alg: "RS256", ...header }))}.${b64url(JSON.stringify(claims))}`
    return `${input}.${b64url(sign("sha256", Buffer.from(input), key))}`
}

const REPOSITORY_NAME = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/

/** `repository:<name>:<actions>` → what this caller may have of it; other resource types get nothing. */
function grant(scope: string, authenticated: boolean): { type: string; name: string; actions: string[] } | undefined {
    const first = scope.indexOf(":")
    const last = scope.lastIndexOf(":")
    if (first < 0 || last === first) return undefined
    const [type, name] = [scope.slice(0, first), scope.slice(first + 1, last)]
    if (type !== "repository" || !REPOSITORY_NAME.test(name)) return undefined
    const actions = scope
        .slice(last + 1)
        .split(",")
        .filter(a => a === "pull" || (authenticated && (a === "push" || a === "delete")))
    return actions.length ? { type, name, actions } : undefined
}

export async function startTokenServer(opts: TokenServerOptions): Promise<TokenServer> {
    const ca = ensureCa(opts.dir, "token-ca", "picokubelet registry token CA")
    const leaf = ensureCert(opts.dir, ca, { name: "token-signer", cn: "picokubelet registry token signer", usage: "server" })
    const pair = opts.signing === "x5c" ? leaf : ca
    const key = createPrivateKey(readFileSync(pair.keyFile))
    const header =
        opts.signing === "x5c"
            ? { x5c: [new X509Certificate(readFileSync(leaf.certFile)).raw.toString("base64")] }
            : { kid: jwkThumbprint(createPublicKey(readFileSync(ca.certFile))) }
    const expected = basicAuthorization(opts.credentials).slice("Basic ".length)
    const requests: TokenRequest[] = []

    const handle = (req: IncomingMessage, res: ServerResponse) => {
        const url = new URL(req.url ?? "/", "http://token")
        const authorization = req.headers.authorization ?? ""
        const basic = /^basic /i.test(authorization)
        const entry: TokenRequest = { method: req.method ?? "", url: req.url ?? "", service: url.searchParams.get("service"), scopes: url.searchParams.getAll("scope"), credentials: basic, status: 0, granted: [] }
        requests.push(entry)
        const reply = (status: number, body: object) => {
            entry.status = status
            res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(body))
        }
        if (url.pathname !== "/token") return reply(404, { details: "not found" })
        if (req.method !== "GET") return reply(405, { details: "GET only" })
        // strict where real servers are lenient, so that a client that drops the service is caught
        if (entry.service !== opts.service) return reply(400, { details: `service must be ${JSON.stringify(opts.service)}` })
        if (basic && authorization.slice(6).trim() !== expected) return reply(401, { details: "incorrect username or password" })
        const access = entry.scopes
            .flatMap(s => s.split(" "))
            .filter(Boolean)
            .map(s => grant(s, basic))
            .filter(a => a !== undefined)
        entry.granted = access.map(a => `${a.type}:${a.name}:${a.actions.join(",")}`)
        const now = Math.floor(Date.now() / 1000)
        const claims = {
            iss: opts.issuer,
            sub: basic ? opts.credentials.username : "",
            aud: opts.service,
            exp: now + opts.ttlSeconds,
            nbf: now,
            iat: now,
            jti: randomBytes(12).toString("hex"),
            access,
        }
        const token = signJwt(header, claims, key)
        const named = opts.response === "both" ? { token, access_token: token } : { [opts.response]: token }
        reply(200, { ...named, expires_in: opts.ttlSeconds, issued_at: new Date(now * 1000).toISOString() })
    }

    const server = createServer(handle)
    await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve))
    const port = (server.address() as AddressInfo).port
    return {
        realm: `http://127.0.0.1:${port}/token`,
        rootCertFile: ca.certFile,
        requests,
        close: () =>
            new Promise(resolve => {
                server.close(() => resolve())
                server.closeAllConnections()
            }),
    }
}
