// Anonymous pulls from registries that want a token (Docker Hub, GHCR,
// Harbor, distribution with token auth): a 401 names a realm in its
// WWW-Authenticate challenge; the realm hands out a short-lived bearer token
// for the scope asked, and the request goes again with it. Pure parsing here;
// the requests are the firmware reconciler's.
import { percentEncode } from "../k8s/paths"

export interface Endpoint {
    host: string
    port: number
    tls: boolean
}

export interface TokenRequest extends Endpoint {
    /** Path and query of the token request. */
    path: string
}

/** The value of `key="value"` in a challenge, "" when absent. */
function param(challenge: string, key: string): string {
    const marker = key + '="'
    let at = challenge.indexOf(marker)
    // the key must start a parameter, not end another one's name
    while (at > 0 && challenge[at - 1] !== " " && challenge[at - 1] !== ",") at = challenge.indexOf(marker, at + 1)
    if (at < 0) return ""
    const from = at + marker.length
    const to = challenge.indexOf('"', from)
    return to < 0 ? "" : challenge.slice(from, to)
}

/**
 * Where to ask for a token: the realm of a `Bearer realm="...",service="...",scope="..."`
 * challenge with service and scope as its query; a string says why not.
 */
export function tokenRequest(challenge: string): TokenRequest | string {
    if (!challenge || challenge.slice(0, 7).toLowerCase() !== "bearer ") return `the registry wants credentials (${challenge ? challenge.split(" ")[0] : "no challenge"})`
    const realm = param(challenge, "realm")
    const sep = realm.indexOf("://")
    const scheme = sep < 0 ? "" : realm.slice(0, sep)
    if (scheme !== "http" && scheme !== "https") return `the token realm "${realm}" is not an http(s) URL`
    const rest = realm.slice(sep + 3)
    const slash = rest.indexOf("/")
    const hostPort = slash < 0 ? rest : rest.slice(0, slash)
    let path = slash < 0 ? "/" : rest.slice(slash)
    const colon = hostPort.indexOf(":")
    const tls = scheme === "https"
    const port = colon < 0 ? (tls ? 443 : 80) : parseInt(hostPort.slice(colon + 1))
    if (!(port > 0 && port < 65536)) return `the token realm "${realm}" has a bad port`
    let query = ""
    for (const key of ["service", "scope"]) {
        const v = param(challenge, key)
        if (v) query += (query ? "&" : "") + key + "=" + percentEncode(v)
    }
    if (query) path += (path.indexOf("?") < 0 ? "?" : "&") + query
    return { host: colon < 0 ? hostPort : hostPort.slice(0, colon), port, tls, path }
}

/** The bearer token of a token response ("token", or OAuth's "access_token"); "" when none. */
export function tokenOf(body: Buffer): string {
    try {
        const o = JSON.parse(body.toString("utf-8"))
        const t = o && (o.token || o.access_token)
        return typeof t === "string" ? t : ""
    } catch (e: any) {
        return ""
    }
}
