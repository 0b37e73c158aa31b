import { hasBootstrapShape, isDnsSubdomain, isIPv4, isTaintKey, tokenKind } from "./syntax"

// Every setting the kubelet reads, one row each: its key, the Config field
// it fills, its default, its rule and whether it is secret. Parsing, the
// problems reported, the redacted boot-log description and the list of keys
// all follow from the table. Pure: Node tools (npm start, the bench) use it.
//
// Settings arrive JSON-decoded by DeviceScript's .env parser: `K3S_PORT=6443`
// is the number 6443, `K3S_TLS=true` a boolean, `K3S_PORT=abc` the string
// "abc". Every rule therefore accepts a value of any type and says what is
// wrong with it by the setting's name. The token is never echoed.

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
    /** How often the pods bound to the node are listed. */
    podSeconds: number
    /** NoSchedule taint that keeps ordinary workloads off; "" when turned off. */
    taintKey: string
}

export type SettingValues = Record<string, any>

export const DEFAULT_TAINT_KEY = "picokubelet.dev/no-containers"
/** A setting holds one Jacdac packet: ~200 bytes is the measured safe size. */
export const MAX_SETTING_CHARS = 200
/** K3S_TOKEN_0 .. K3S_TOKEN_<n-1>: enough for a 4 KB JWT. */
export const MAX_TOKEN_PARTS = 20

interface Setting {
    key: string
    /** The Config field it fills. */
    field: string
    /** Label in the boot log's description. */
    label: string
    /** Unit after the value in the description. */
    unit?: string
    /** Value when unset; none for a setting without a default. */
    dflt?: any
    /** Set when the setting is required: what to give, for the "missing" message. */
    requiredHint?: string
    /** Never logged: the description shows only what `show` tells of it. */
    secret?: boolean
    /** Checks a set value and returns it as the Config wants it; problems are pushed by name. */
    rule(v: any, key: string, problems: string[]): any
    /** The description's text for an empty or unset value, in place of it. */
    ifEmpty?: string
    /** The value for the boot log; default `label=value unit`. */
    show?(v: any): string
    /** What this setting reads; default the value of its key. */
    gather?(values: SettingValues, problems: string[]): any
}

function show(v: any): string {
    return typeof v === "string" ? `"${v}"` : "" + v
}

/** Reports "KEY: value is not WHAT", the form of most problems. */
function isNot(problems: string[], key: string, v: any, what: string) {
    problems.push(`${key}: ${show(v)} is not ${what}`)
}

function isSet(v: any): boolean {
    return v !== undefined && v !== null && v !== ""
}

/** A number in [min, max], from a number or a numeric string; whole unless `fractions`. */
function numberIn(min: number, max: number, what: string, fractions: boolean, rangeIsWhat?: boolean) {
    return (v: any, key: string, problems: string[]) => {
        const n = typeof v === "number" ? v : typeof v === "string" ? +v : NaN
        if (typeof v === "boolean" || isNaN(n) || (!fractions && Math.floor(n) !== n) || ((n < min || n > max) && rangeIsWhat)) {
            isNot(problems, key, v, what)
            return undefined
        }
        if (n < min || n > max) {
            problems.push(`${key}: ${n} is out of range (${min}..${max})`)
            return undefined
        }
        return n
    }
}

function whole(min: number, max: number, what: string, rangeIsWhat?: boolean) {
    return numberIn(min, max, what, false, rangeIsWhat)
}

/**
 * A loop's period (renewals, status samples, pod listings): their timers count
 * milliseconds, and a fraction of a second lets a soak run a day's renewals in
 * under an hour. LEASE_SECS stays whole: it is the Lease's leaseDurationSeconds.
 */
function period(max: number) {
    return numberIn(0.1, max, "a number of seconds", true)
}

function checkHost(v: any, key: string, problems: string[]) {
    const host = "" + v
    if (host.indexOf("://") >= 0)
        problems.push(`${key}: ${show(host)} is a URL; give only the host name (port goes in K3S_PORT)`)
    else if (!isIPv4(host) && !isDnsSubdomain(host.toLowerCase()))
        isNot(problems, key, host, "a DNS name or IPv4 address")
    return host
}

function checkTls(v: any, key: string, problems: string[]) {
    if (v === true || v === "true") return true
    if (v === false || v === "false") return false
    isNot(problems, key, v, "true or false")
    return true
}

function checkNodeName(v: any, key: string, problems: string[]) {
    const name = "" + v
    if (!isDnsSubdomain(name))
        isNot(problems, key, name, "a valid node name (lowercase letters, digits, '-' and '.', at most 253)")
    return name
}

export function tokenPartKey(i: number) {
    return "K3S_TOKEN_" + i
}

/** The token's text and where it came from: K3S_TOKEN, or K3S_TOKEN_0..n joined in order. */
interface TokenSource {
    text: string
    where: string
    single: boolean
}

function gatherToken(values: SettingValues, problems: string[]): TokenSource {
    const single = values["K3S_TOKEN"]
    const parts: string[] = []
    for (let i = 0; i < MAX_TOKEN_PARTS; i++) {
        const part = values[tokenPartKey(i)]
        if (!isSet(part)) {
            if (values[tokenPartKey(i + 1)] !== undefined)
                problems.push(
                    `${tokenPartKey(i + 1)}: set, but ${tokenPartKey(i)} is missing (parts must be numbered without gaps)`
                )
            break
        }
        parts.push("" + part)
    }
    if (isSet(single) && parts.length) {
        problems.push("K3S_TOKEN: set together with K3S_TOKEN_0; use one or the other")
        return undefined
    }
    if (isSet(single)) return { text: "" + single, where: "K3S_TOKEN", single: true }
    if (parts.length) return { text: parts.join(""), where: `K3S_TOKEN_0..${parts.length - 1}`, single: false }
    return undefined
}

function checkToken(source: TokenSource, key: string, problems: string[]) {
    const token = source.text
    const kind = tokenKind(token)
    if (!kind)
        problems.push(
            `${source.where}: not a bootstrap token (6+16 lowercase characters, e.g. abcdef.0123456789abcdef) nor a JWT (three base64url parts); the value is not shown`
        )
    else if (kind === "jwt" && source.single && token.length > MAX_SETTING_CHARS)
        problems.push(
            `${key}: ${token.length} characters do not fit one setting (${MAX_SETTING_CHARS}); split it over K3S_TOKEN_0..K3S_TOKEN_n`
        )
    return kind ? token : undefined
}

function checkNodeIP(v: any, key: string, problems: string[]) {
    if (!isIPv4("" + v)) isNot(problems, key, v, "an IPv4 address")
    return "" + v
}

function checkTaintKey(v: any, key: string, problems: string[]) {
    if (v === "none") return ""
    if (!isTaintKey("" + v)) isNot(problems, key, v, `a taint key (e.g. ${DEFAULT_TAINT_KEY}, or none)`)
    return "" + v
}

const SECONDS = "a whole number of seconds"

type Rule = Setting["rule"]

/** A row from its common parts; `more` adds what only some rows have (hint, secret, show, gather, ifEmpty). */
function setting(key: string, field: string, label: string, dflt: any, rule: Rule, unit?: string, more?: Partial<Setting>): Setting {
    return Object.assign({ key, field, label, dflt, rule, unit }, more)
}

/**
 * The rows, built per call rather than held on the heap: they are read at
 * boot (and when settings are invalid), never afterwards.
 */
export function settingRows(): Setting[] {
    return [
        setting("K3S_HOST", "host", "host", undefined, checkHost, undefined, { requiredHint: "the API server's DNS name or IPv4 address" }),
        setting("K3S_PORT", "port", "port", 6443, whole(1, 65535, "a port number", true)),
        setting("K3S_TLS", "tls", "tls", true, checkTls),
        setting("NODE_NAME", "nodeName", "node", undefined, checkNodeName, undefined, { requiredHint: "the Kubernetes node name" }),
        setting("K3S_TOKEN", "token", "token", undefined, checkToken, undefined, {
            requiredHint: "a bootstrap token, or a ServiceAccount JWT split over K3S_TOKEN_0..K3S_TOKEN_n",
            secret: true,
            gather: gatherToken,
            show: (token: string) => `token=<redacted ${hasBootstrapShape(token) ? "bootstrap" : "jwt"}, ${token.length} chars>`,
        }),
        setting("RENEW_SECS", "renewSeconds", "renew", 10, period(3600), "s"),
        setting("LEASE_SECS", "leaseSeconds", "lease", 40, whole(1, 3600, SECONDS), "s"),
        setting("STATUS_SECS", "statusSeconds", "status", 300, period(86400), "s"),
        setting("MEM_LOW_BYTES", "memLowBytes", "memLow", 20480, whole(0, 16777216, "a number of bytes"), "B"),
        setting("NODE_IP", "nodeIP", "ip", undefined, checkNodeIP, undefined, { ifEmpty: "<from network>" }),
        setting("MAX_PODS", "maxPods", "pods", 8, whole(0, 110, "a number of pods")),
        // unset: the renew period
        setting("POD_SECS", "podSeconds", "podPoll", undefined, period(3600), "s"),
        setting("TAINT_KEY", "taintKey", "taint", DEFAULT_TAINT_KEY, checkTaintKey, undefined, { ifEmpty: "<none>" }),
    ]
}

/** Validates every setting at once; `problems` is empty when `config` is usable. */
export function parseConfig(values: SettingValues): { config: Config; problems: string[] } {
    const problems: string[] = []
    const config: any = {}
    for (const s of settingRows()) {
        const before = problems.length
        const v = s.gather ? s.gather(values, problems) : values[s.key]
        let value = s.dflt
        if (isSet(v)) {
            const checked = s.rule(v, s.key, problems)
            if (checked !== undefined) value = checked
        } else if (s.requiredHint && problems.length === before) problems.push(`${s.key}: missing (${s.requiredHint})`)
        config[s.field] = value
    }
    const c: Config = config
    if (c.podSeconds === undefined) c.podSeconds = c.renewSeconds
    if (c.leaseSeconds <= c.renewSeconds)
        problems.push(
            `LEASE_SECS: ${c.leaseSeconds} must be longer than RENEW_SECS (${c.renewSeconds}), or the lease expires between renewals`
        )
    return { config: problems.length ? undefined : c, problems }
}

/** Settings as text for the boot log; a secret shows only what its row allows. */
export function describeConfig(c: Config): string {
    const config: any = c
    return settingRows().map(s => {
        const v = config[s.field]
        if (s.show) return s.show(v)
        return `${s.label}=${s.secret ? "<redacted>" : (!v && s.ifEmpty) || v}${s.unit || ""}`
    }).join(" ")
}

/** The value a setting has when unset. */
export function settingDefault(key: string): any {
    return settingRows().find(s => s.key === key).dflt
}

/** The token as the firmware will join it (K3S_TOKEN, or K3S_TOKEN_0..n), unchecked; "" if none. */
export function settingsToken(values: SettingValues): string {
    const source = gatherToken(values, [])
    return source ? source.text : ""
}

/** K3S_TOKEN_0, K3S_TOKEN_1, ...: the parts of a split token. */
export function isTokenPartKey(key: string): boolean {
    const n = key.slice(10)
    return key.slice(0, 10) === "K3S_TOKEN_" && n.length > 0 && n.split("").every(d => d.charCodeAt(0) >= 48 && d.charCodeAt(0) <= 57)
}
