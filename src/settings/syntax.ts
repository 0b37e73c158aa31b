// The syntax rules settings are checked against: DNS names, IPv4, tokens,
// taint keys. Pure and free of the device, so Node tools use them too.
// Characters are tested by code: DeviceScript does not compare strings with < or >.

function isDigitCode(c: number) {
    return c >= 48 && c <= 57
}

function isLowerCode(c: number) {
    return c >= 97 && c <= 122
}

function allChars(s: string, ok: (c: number) => boolean): boolean {
    for (let i = 0; i < s.length; i++) if (!ok(s.charCodeAt(i))) return false
    return true
}

const DASH = 45
const DOT = 46
const UNDERSCORE = 95

function isDnsLabel(label: string): boolean {
    if (label.length < 1 || label.length > 63) return false
    if (label.charCodeAt(0) === DASH || label.charCodeAt(label.length - 1) === DASH) return false
    return allChars(label, c => isDigitCode(c) || isLowerCode(c) || c === DASH)
}

/**
 * Whether `ok` holds for every part of `s` between dots ("a..b" has an empty
 * one). A scan rather than split(".").every(): String.split and Array.every
 * would be in the image for these two rules alone.
 */
function everyDotted(s: string, ok: (part: string) => boolean): boolean {
    let from = 0
    for (;;) {
        const dot = s.indexOf(".", from)
        if (!ok(s.slice(from, dot < 0 ? s.length : dot))) return false
        if (dot < 0) return true
        from = dot + 1
    }
}

/** RFC 1123 DNS subdomain, the rule kube-apiserver applies to Node names. */
export function isDnsSubdomain(s: string): boolean {
    if (s.length < 1 || s.length > 253) return false
    return everyDotted(s, isDnsLabel)
}

export function isIPv4(s: string): boolean {
    let parts = 0
    const ok = everyDotted(s, p => {
        parts++
        if (p.length < 1 || p.length > 3 || !allChars(p, isDigitCode)) return false
        if (p.length > 1 && p.charCodeAt(0) === 48) return false
        return parseInt(p) <= 255
    })
    return ok && parts === 4
}

function isAlnumCode(c: number) {
    // setting the case bit (32) turns exactly the uppercase letters into lowercase ones
    return isDigitCode(c) || isLowerCode(c | 32)
}

/**
 * Bytes and inline comparisons, no call per character: boot checks a ~1 KB
 * ServiceAccount JWT in one fiber slice, and a few calls per character
 * tripped the VM's 128k-opcode watchdog there.
 */
function isBase64Url(s: string): boolean {
    const bytes = Buffer.from(s)
    for (let i = 0; i < bytes.length; i++) {
        const c = bytes[i]
        if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === DASH || c === UNDERSCORE)) return false
    }
    return bytes.length > 0
}

function isLowerAlnum(s: string): boolean {
    return allChars(s, c => isDigitCode(c) || isLowerCode(c))
}

export type TokenKind = "bootstrap" | "jwt"

/** The shape of a bootstrap token; of a token already checked, it tells the kind without a scan. */
export const hasBootstrapShape = (token: string) => token.length === 23 && token.indexOf(".") === 6

/** Bootstrap token `[a-z0-9]{6}.[a-z0-9]{16}` or a JWT (three base64url parts). */
export function tokenKind(token: string): TokenKind {
    // indexOf instead of split: split is quadratic and trips the VM's
    // opcode watchdog on a 1 KB JWT.
    const dot1 = token.indexOf(".")
    const dot2 = dot1 < 0 ? -1 : token.indexOf(".", dot1 + 1)
    if (hasBootstrapShape(token) && dot2 < 0) {
        return isLowerAlnum(token.slice(0, 6)) && isLowerAlnum(token.slice(7)) ? "bootstrap" : undefined
    }
    if (dot2 < 0 || token.indexOf(".", dot2 + 1) >= 0) return undefined
    const ok =
        isBase64Url(token.slice(0, dot1)) && isBase64Url(token.slice(dot1 + 1, dot2)) && isBase64Url(token.slice(dot2 + 1))
    return ok ? "jwt" : undefined
}

/** A taint key is a qualified name: optional DNS prefix, "/", and a name. */
export function isTaintKey(key: string): boolean {
    const slash = key.indexOf("/")
    const name = slash < 0 ? key : key.slice(slash + 1)
    if (slash >= 0 && !isDnsSubdomain(key.slice(0, slash))) return false
    if (name.length < 1 || name.length > 63) return false
    return (
        isAlnumCode(name.charCodeAt(0)) &&
        isAlnumCode(name.charCodeAt(name.length - 1)) &&
        allChars(name, c => isAlnumCode(c) || c === DASH || c === UNDERSCORE || c === DOT)
    )
}
