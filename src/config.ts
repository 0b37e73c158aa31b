import { sleep } from "@devicescript/core"
import { readSetting } from "@devicescript/settings"

// Settings arrive JSON-decoded by DeviceScript's .env parser: `K3S_PORT=6443`
// is the number 6443, `K3S_TLS=true` a boolean, `K3S_PORT=abc` the string
// "abc". Every rule below therefore accepts a value of any type and says what
// is wrong with it by the setting's name. The token is never echoed.

export interface Config {
    host: string
    port: number
    tls: boolean
    nodeName: string
    token: string
    renewSeconds: number
    leaseSeconds: number
    statusSeconds: number
    memLowBytes: number
    /** InternalIP to report when no network service gives one (simulator). */
    nodeIP: string
    maxPods: number
    /** NoSchedule taint that keeps ordinary workloads off; "" when turned off. */
    taintKey: string
}

export const DEFAULT_TAINT_KEY = "picokubelet.dev/no-containers"

/** A setting holds one Jacdac packet: ~200 bytes is the measured safe size. */
export const MAX_SETTING_CHARS = 200
/** K3S_TOKEN_0 .. K3S_TOKEN_<n-1>: enough for a 4 KB JWT. */
export const MAX_TOKEN_PARTS = 20

export type SettingValues = Record<string, any>

function show(v: any): string {
    return typeof v === "string" ? `"${v}"` : "" + v
}

// Character classes by code: DeviceScript does not compare strings with < or >.
function isDigitCode(c: number) {
    return c >= 48 && c <= 57
}

function isLowerCode(c: number) {
    return c >= 97 && c <= 122
}

function isUpperCode(c: number) {
    return c >= 65 && c <= 90
}

function allChars(s: string, ok: (c: number) => boolean): boolean {
    for (let i = 0; i < s.length; i++) if (!ok(s.charCodeAt(i))) return false
    return true
}

const DASH = 45
const UNDERSCORE = 95

function isDnsLabel(label: string): boolean {
    if (label.length < 1 || label.length > 63) return false
    if (label.charCodeAt(0) === DASH || label.charCodeAt(label.length - 1) === DASH)
        return false
    return allChars(label, c => isDigitCode(c) || isLowerCode(c) || c === DASH)
}

/** RFC 1123 DNS subdomain, the rule kube-apiserver applies to Node names. */
export function isDnsSubdomain(s: string): boolean {
    if (s.length < 1 || s.length > 253) return false
    return s.split(".").every(isDnsLabel)
}

export function isIPv4(s: string): boolean {
    const parts = s.split(".")
    if (parts.length !== 4) return false
    return parts.every(p => {
        if (p.length < 1 || p.length > 3 || !allChars(p, isDigitCode)) return false
        if (p.length > 1 && p.charCodeAt(0) === 48) return false
        return parseInt(p) <= 255
    })
}

function isBase64Url(s: string): boolean {
    return (
        s.length > 0 &&
        allChars(
            s,
            c =>
                isLowerCode(c) ||
                isUpperCode(c) ||
                isDigitCode(c) ||
                c === DASH ||
                c === UNDERSCORE
        )
    )
}

function isLowerAlnum(s: string): boolean {
    return allChars(s, c => isDigitCode(c) || isLowerCode(c))
}

export type TokenKind = "bootstrap" | "jwt"

/** Bootstrap token `[a-z0-9]{6}.[a-z0-9]{16}` or a JWT (three base64url parts). */
export function tokenKind(token: string): TokenKind {
    // indexOf instead of split: split is quadratic and trips the VM's
    // opcode watchdog on a 1 KB JWT.
    const dot1 = token.indexOf(".")
    const dot2 = dot1 < 0 ? -1 : token.indexOf(".", dot1 + 1)
    if (dot1 === 6 && dot2 < 0 && token.length === 23) {
        return isLowerAlnum(token.slice(0, 6)) && isLowerAlnum(token.slice(7))
            ? "bootstrap"
            : undefined
    }
    if (dot2 < 0 || token.indexOf(".", dot2 + 1) >= 0) return undefined
    const ok =
        isBase64Url(token.slice(0, dot1)) &&
        isBase64Url(token.slice(dot1 + 1, dot2)) &&
        isBase64Url(token.slice(dot2 + 1))
    return ok ? "jwt" : undefined
}

/** Whole number in [min, max], from a number or a numeric string. */
function intSetting(
    values: SettingValues,
    key: string,
    dflt: number,
    min: number,
    max: number,
    what: string,
    problems: string[]
): number {
    const v = values[key]
    if (v === undefined || v === null || v === "") return dflt
    const n = typeof v === "number" ? v : typeof v === "string" ? +v : NaN
    if (typeof v === "boolean" || isNaN(n) || Math.floor(n) !== n) {
        problems.push(`${key}: ${show(v)} is not ${what}`)
        return dflt
    }
    if (n < min || n > max) {
        problems.push(`${key}: ${n} is out of range (${min}..${max})`)
        return dflt
    }
    return n
}

function requiredString(
    values: SettingValues,
    key: string,
    hint: string,
    problems: string[]
): string {
    const v = values[key]
    if (v === undefined || v === null || v === "") {
        problems.push(`${key}: missing (${hint})`)
        return undefined
    }
    return "" + v
}

function parseHost(values: SettingValues, problems: string[]): string {
    const host = requiredString(
        values,
        "K3S_HOST",
        "the API server's DNS name or IPv4 address",
        problems
    )
    if (host === undefined) return host
    if (host.indexOf("://") >= 0)
        problems.push(
            `K3S_HOST: ${show(host)} is a URL; give only the host name (port goes in K3S_PORT)`
        )
    else if (!isIPv4(host) && !isDnsSubdomain(host.toLowerCase()))
        problems.push(`K3S_HOST: ${show(host)} is not a DNS name or IPv4 address`)
    return host
}

function parsePort(values: SettingValues, problems: string[]): number {
    const v = values["K3S_PORT"]
    const before = problems.length
    const port = intSetting(values, "K3S_PORT", 6443, 1, 65535, "a port number", problems)
    // A port out of range is also "not a port number": one wording for both.
    if (problems.length > before) problems[before] = `K3S_PORT: ${show(v)} is not a port number`
    return port
}

function parseTls(values: SettingValues, problems: string[]): boolean {
    const v = values["K3S_TLS"]
    if (v === undefined || v === null || v === "" || v === true || v === "true")
        return true
    if (v === false || v === "false") return false
    problems.push(`K3S_TLS: ${show(v)} is not true or false`)
    return true
}

function parseNodeName(values: SettingValues, problems: string[]): string {
    const name = requiredString(values, "NODE_NAME", "the Kubernetes node name", problems)
    if (name !== undefined && !isDnsSubdomain(name))
        problems.push(
            `NODE_NAME: ${show(name)} is not a valid node name (lowercase letters, digits, '-' and '.', at most 253)`
        )
    return name
}

function tokenPartKey(i: number) {
    return "K3S_TOKEN_" + i
}

function parseToken(values: SettingValues, problems: string[]): string {
    const single = values["K3S_TOKEN"]
    const hasSingle = single !== undefined && single !== null && single !== ""
    const parts: string[] = []
    for (let i = 0; i < MAX_TOKEN_PARTS; i++) {
        const part = values[tokenPartKey(i)]
        if (part === undefined || part === null || part === "") {
            if (values[tokenPartKey(i + 1)] !== undefined)
                problems.push(
                    `${tokenPartKey(i + 1)}: set, but ${tokenPartKey(i)} is missing (parts must be numbered without gaps)`
                )
            break
        }
        parts.push("" + part)
    }
    if (hasSingle && parts.length) {
        problems.push("K3S_TOKEN: set together with K3S_TOKEN_0; use one or the other")
        return undefined
    }
    if (!hasSingle && !parts.length) {
        problems.push(
            "K3S_TOKEN: missing (a bootstrap token, or a ServiceAccount JWT split over K3S_TOKEN_0..K3S_TOKEN_n)"
        )
        return undefined
    }
    const token = hasSingle ? "" + single : parts.join("")
    const kind = tokenKind(token)
    const where = hasSingle ? "K3S_TOKEN" : `K3S_TOKEN_0..${parts.length - 1}`
    if (!kind)
        problems.push(
            `${where}: not a bootstrap token (6+16 lowercase characters, e.g. abcdef.0123456789abcdef) nor a JWT (three base64url parts); the value is not shown`
        )
    else if (kind === "jwt" && hasSingle && token.length > MAX_SETTING_CHARS)
        problems.push(
            `K3S_TOKEN: ${token.length} characters do not fit one setting (${MAX_SETTING_CHARS}); split it over K3S_TOKEN_0..K3S_TOKEN_n`
        )
    return kind ? token : undefined
}

function parseNodeIP(values: SettingValues, problems: string[]): string {
    const v = values["NODE_IP"]
    if (v === undefined || v === null || v === "") return undefined
    if (!isIPv4("" + v)) problems.push(`NODE_IP: ${show(v)} is not an IPv4 address`)
    return "" + v
}

/** A taint key is a qualified name: optional DNS prefix, "/", and a name. */
function isTaintKey(key: string): boolean {
    const slash = key.indexOf("/")
    const name = slash < 0 ? key : key.slice(slash + 1)
    if (slash >= 0 && !isDnsSubdomain(key.slice(0, slash))) return false
    if (name.length < 1 || name.length > 63) return false
    const alnum = (c: number) => isDigitCode(c) || isLowerCode(c) || isUpperCode(c)
    return (
        alnum(name.charCodeAt(0)) &&
        alnum(name.charCodeAt(name.length - 1)) &&
        allChars(name, c => alnum(c) || c === DASH || c === UNDERSCORE || c === 46)
    )
}

function parseTaintKey(values: SettingValues, problems: string[]): string {
    const v = values["TAINT_KEY"]
    if (v === undefined || v === null || v === "") return DEFAULT_TAINT_KEY
    if (v === "none") return ""
    if (!isTaintKey("" + v))
        problems.push(`TAINT_KEY: ${show(v)} is not a taint key (e.g. ${DEFAULT_TAINT_KEY}, or none)`)
    return "" + v
}

/** Validates every setting at once; `problems` is empty when `config` is usable. */
export function parseConfig(values: SettingValues): {
    config: Config
    problems: string[]
} {
    const problems: string[] = []
    const config: Config = {
        host: parseHost(values, problems),
        port: parsePort(values, problems),
        tls: parseTls(values, problems),
        nodeName: parseNodeName(values, problems),
        token: parseToken(values, problems),
        renewSeconds: intSetting(values, "RENEW_SECS", 10, 1, 3600, "a whole number of seconds", problems),
        leaseSeconds: intSetting(values, "LEASE_SECS", 40, 1, 3600, "a whole number of seconds", problems),
        statusSeconds: intSetting(values, "STATUS_SECS", 300, 1, 86400, "a whole number of seconds", problems),
        memLowBytes: intSetting(values, "MEM_LOW_BYTES", 20480, 0, 16777216, "a number of bytes", problems),
        nodeIP: parseNodeIP(values, problems),
        maxPods: intSetting(values, "MAX_PODS", 1, 0, 110, "a number of pods", problems),
        taintKey: parseTaintKey(values, problems),
    }
    if (config.leaseSeconds <= config.renewSeconds)
        problems.push(
            `LEASE_SECS: ${config.leaseSeconds} must be longer than RENEW_SECS (${config.renewSeconds}), or the lease expires between renewals`
        )
    return { config: problems.length ? undefined : config, problems }
}

/** Settings as text for the boot log; the token shows only its kind and length. */
export function describeConfig(c: Config): string {
    return (
        `host=${c.host} port=${c.port} tls=${c.tls} node=${c.nodeName} ` +
        `token=<redacted ${tokenKind(c.token)}, ${c.token.length} chars> ` +
        `renew=${c.renewSeconds}s lease=${c.leaseSeconds}s status=${c.statusSeconds}s ` +
        `memLow=${c.memLowBytes}B ip=${c.nodeIP || "<from network>"} pods=${c.maxPods} ` +
        `taint=${c.taintKey || "<none>"}`
    )
}

export const SETTING_KEYS = [
    "K3S_HOST",
    "K3S_PORT",
    "K3S_TLS",
    "NODE_NAME",
    "K3S_TOKEN",
    "RENEW_SECS",
    "LEASE_SECS",
    "STATUS_SECS",
    "MEM_LOW_BYTES",
    "NODE_IP",
    "MAX_PODS",
    "TAINT_KEY",
]

/** Reads every setting the kubelet uses from DeviceScript settings. */
export async function readSettingValues(): Promise<SettingValues> {
    const values: SettingValues = {}
    for (const key of SETTING_KEYS) values[key] = await readSetting(key)
    // One past the last part, so a gap in the numbering is reported.
    for (let i = 0; i <= MAX_TOKEN_PARTS; i++) {
        const key = tokenPartKey(i)
        values[key] = await readSetting(key)
        if (values[key] === undefined) {
            values[tokenPartKey(i + 1)] = await readSetting(tokenPartKey(i + 1))
            break
        }
    }
    return values
}

const RECHECK_MS = 10000

/**
 * Returns a valid configuration, waiting for one: a bad setting is reported
 * (all problems, by name) and re-read every few seconds instead of letting the
 * program crash-loop; a deploy of corrected settings restarts it anyway.
 */
export async function awaitValidConfig(
    onInvalid?: (problems: string[]) => void
): Promise<Config> {
    let reported = ""
    while (true) {
        const { config, problems } = parseConfig(await readSettingValues())
        if (config) return config
        const text = problems.join("\n")
        if (text !== reported) {
            console.error(`settings: ${problems.length} problem(s), waiting for a fix`)
            for (const p of problems) console.error(`settings: ${p}`)
            reported = text
        }
        if (onInvalid) onInvalid(problems)
        await sleep(RECHECK_MS)
    }
}
