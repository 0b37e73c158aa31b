// Header values as RFC 9110 writes them: optional whitespace around items of
// comma-separated lists, tokens compared without case.

function isOws(c: number) {
    return c === 32 || c === 9
}

/** Trims spaces and tabs; allocates nothing when there are none (String.trim is bytecode). */
export function trimOws(s: string): string {
    let b = 0
    let e = s.length
    while (b < e && isOws(s.charCodeAt(b))) b++
    while (e > b && isOws(s.charCodeAt(e - 1))) e--
    return b === 0 && e === s.length ? s : s.slice(b, e)
}

/** Has the comma-separated header value the token (case-insensitive)? */
export function hasToken(value: string, token: string): boolean {
    if (value === null || value === undefined) return false
    const parts = listItems(value.toLowerCase())
    for (let i = 0; i < parts.length; i++) if (parts[i] === token) return true
    return false
}

/** Items of a comma-separated header value, trimmed (String.split is slow bytecode). */
export function listItems(value: string): string[] {
    const r: string[] = []
    let from = 0
    for (;;) {
        const c = value.indexOf(",", from)
        r.push(trimOws(value.slice(from, c < 0 ? value.length : c)))
        if (c < 0) return r
        from = c + 1
    }
}
