// Width arithmetic for lines that carry ANSI escapes: what counts is the
// characters the terminal shows, never the escape sequences. Every
// character the view prints is one column wide (ASCII and "…").

/** CSI sequences (colours, cursor moves, erases). */
const ESCAPE = /\x1b\[[0-9;?]*[A-Za-z]/g
const ESCAPE_AT = /^\x1b\[[0-9;?]*[A-Za-z]/

export function stripAnsi(s: string): string {
    return s.replace(ESCAPE, "")
}

/** Columns the terminal advances for `s`. */
export function visibleLength(s: string): number {
    return [...stripAnsi(s)].length
}

/**
 * The first `width` visible characters of `s`, with its escapes; a colour
 * left open by the cut is closed with a reset, so nothing bleeds into the
 * rest of the screen. With `ellipsis`, a cut line ends in "…".
 */
export function truncateVisible(s: string, width: number, ellipsis = false): string {
    if (visibleLength(s) <= width) return s
    const keep = ellipsis ? width - 1 : width
    let out = ""
    let shown = 0
    let open = false
    for (let i = 0; i < s.length; ) {
        const esc = ESCAPE_AT.exec(s.slice(i, i + 32))
        if (esc) {
            const seq = esc[0]
            if (seq.endsWith("m")) open = seq !== "\x1b[0m" && seq !== "\x1b[m"
            out += seq
            i += seq.length
            continue
        }
        if (shown >= keep) break
        const ch = String.fromCodePoint(s.codePointAt(i)!)
        out += ch
        i += ch.length
        shown++
    }
    if (open) out += "\x1b[0m"
    if (ellipsis && width > 0) out += "…"
    return out
}

/** `s` padded with spaces to `width` visible columns (cut when longer, with "…"). */
export function fit(s: string, width: number): string {
    const n = visibleLength(s)
    if (n > width) return truncateVisible(s, width, true)
    return s + " ".repeat(width - n)
}
