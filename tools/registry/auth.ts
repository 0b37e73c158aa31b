// The client side of the registry token flow (the distribution "token
// authentication" spec, what Docker Hub, GHCR and Harbor do), the one copy of
// it on the Node side: the push client and the tests both go through here, so
// what the tests prove about the flow is what `firmware:push` does.
//   401 + WWW-Authenticate: Bearer realm="…",service="…",scope="…"
//   GET <realm>?service=…&scope=…   (Basic credentials only when we have them)
//   200 {"token": …} or {"access_token": …}
//   the request again with Authorization: Bearer <token>

export interface Credentials {
    username: string
    password: string
}

export interface Challenge {
    /** Lower-cased: "bearer", "basic". */
    scheme: string
    /** Parameter names lower-cased, values unquoted. */
    params: Record<string, string>
}

/** A token server's failure; the caller says which registry request led to it. */
export class TokenError extends Error {}

/** The first challenge of a WWW-Authenticate value (RFC 9110 auth-params; a registry sends one). */
export function parseChallenge(header: string | null): Challenge | undefined {
    const m = header && /^\s*([A-Za-z][\w.-]*)\s*(.*)$/s.exec(header)
    if (!m) return undefined
    const params: Record<string, string> = {}
    // quoted values may hold commas and spaces (a scope list), and \" escapes (Go's %q)
    const param = /\s*([\w.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?/y
    let p: RegExpExecArray | null
    while ((p = param.exec(m[2]))) params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, "$1") : p[3]
    return { scheme: m[1].toLowerCase(), params }
}

export const basicAuthorization = (c: Credentials) => "Basic " + Buffer.from(`${c.username}:${c.password}`).toString("base64")

export interface TokenOptions {
    credentials?: Credentials
    timeoutMs?: number
}

/** Asks the challenge's realm for a token for the challenge's service and scope. */
export async function fetchToken(challenge: Challenge, opts: TokenOptions = {}): Promise<string> {
    const { realm, service, scope } = challenge.params
    if (!realm) throw new TokenError("the Bearer challenge names no realm")
    let url: URL
    try {
        url = new URL(realm)
    } catch {
        throw new TokenError(`the realm ${JSON.stringify(realm)} is not a URL`)
    }
    if (service) url.searchParams.set("service", service)
    // a challenge may join several scopes with spaces; token servers take one per parameter
    for (const s of (scope ?? "").split(" ").filter(Boolean)) url.searchParams.append("scope", s)
    if (opts.credentials) url.searchParams.set("account", opts.credentials.username)
    const headers: Record<string, string> = opts.credentials ? { Authorization: basicAuthorization(opts.credentials) } : {}
    const timeoutMs = opts.timeoutMs ?? 30_000
    let res: Response
    try {
        res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) })
    } catch (e: any) {
        const why = e?.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : `not reachable (${e?.cause?.code ?? e?.cause?.message ?? e})`
        throw new TokenError(`token server ${url.origin} ${why}: GET ${url.href}`)
    }
    const text = await res.text().catch(() => "")
    if (res.status !== 200)
        throw new TokenError(`token server answered ${res.status} ${res.statusText} to GET ${url.href}${opts.credentials ? ` (as ${opts.credentials.username})` : " (anonymously)"}${text ? `: ${text.trim().slice(0, 300)}` : ""}`)
    let body: any
    try {
        body = JSON.parse(text)
    } catch {
        throw new TokenError(`token server's answer to GET ${url.href} is not JSON: ${text.slice(0, 100)}`)
    }
    const token = body?.token || body?.access_token
    if (typeof token !== "string") throw new TokenError(`token server's answer to GET ${url.href} has neither "token" nor "access_token"`)
    return token
}

/**
 * fetch for one registry: sends the token it holds, and on a Bearer 401 gets
 * a token for the scope the registry asked for and tries once more. The
 * challenge's scope, not a guess, decides what is asked for, so a push asks
 * for pull first (HEAD) and pull,push at the first upload.
 */
export class TokenSession {
    token?: string
    constructor(readonly opts: TokenOptions = {}) {}

    async fetch(url: string | URL, init: RequestInit = {}): Promise<Response> {
        const send = () => fetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), ...(this.token ? { Authorization: `Bearer ${this.token}` } : {}) } })
        const res = await send()
        const challenge = res.status === 401 ? parseChallenge(res.headers.get("www-authenticate")) : undefined
        if (challenge?.scheme !== "bearer") return res
        await res.arrayBuffer().catch(() => {})
        this.token = await fetchToken(challenge, this.opts)
        return send()
    }
}
