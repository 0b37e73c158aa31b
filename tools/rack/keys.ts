// The rack's keys, as pure functions: the bytes stdin gives in raw mode
// (setRawMode(true): no line buffering, no echo, Ctrl-C arrives as 0x03
// instead of SIGINT) and the current selection -> what to do.
//
//   Up / k, Down / j   select the board above / below (stops at the ends)
//   1-9, 0             select board 1-9, 0 is the 10th
//   c                  pull / plug the selected board's cable (a toggle)
//   p                  power the selected board off / on (a toggle)
//   q, Ctrl-C          quit

export type KeyAction =
    | { kind: "select"; index: number }
    | { kind: "cable"; index: number }
    | { kind: "power"; index: number }
    | { kind: "quit" }

/** The footer's text for the keys above. */
export const KEYS_HELP = "Up/Down or j/k or 1-9,0: select   c: cable pull/plug   p: power off/on   q or Ctrl-C: quit"

const CTRL_C = "\x03"

/** Arrow keys in normal (CSI) and application (SS3) cursor mode. */
const UP = ["\x1b[A", "\x1bOA"]
const DOWN = ["\x1b[B", "\x1bOB"]

/**
 * One keypress -> an action, or undefined for keys that mean nothing here
 * (and for a selection that would not change, or a board that does not
 * exist). `selected` is the selected board's index (0-based), `boards` how
 * many there are.
 */
export function decodeKey(key: string | Uint8Array, selected: number, boards: number): KeyAction | undefined {
    const k = typeof key === "string" ? key : Buffer.from(key).toString("latin1")
    if (k === CTRL_C || k === "q" || k === "Q") return { kind: "quit" }
    if (boards <= 0) return undefined
    const at = Math.min(Math.max(selected, 0), boards - 1)
    const select = (index: number): KeyAction | undefined =>
        index >= 0 && index < boards && index !== selected ? { kind: "select", index } : undefined
    if (UP.includes(k) || k === "k") return select(at - 1)
    if (DOWN.includes(k) || k === "j") return select(at + 1)
    if (/^[0-9]$/.test(k)) return select(k === "0" ? 9 : Number(k) - 1)
    if (k === "c" || k === "C") return { kind: "cable", index: at }
    if (k === "p" || k === "P") return { kind: "power", index: at }
    return undefined
}

/**
 * A chunk read from stdin split into keypresses: one read can hold several
 * (fast typing, a paste, key repeat); an escape sequence stays whole.
 */
export function splitKeys(chunk: string | Uint8Array): string[] {
    const s = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("latin1")
    const keys: string[] = []
    for (let i = 0; i < s.length; ) {
        let n = 1
        if (s[i] === "\x1b") {
            // CSI: ESC [ params final (0x40-0x7e); SS3: ESC O letter; else a lone ESC
            const csi = /^\x1b\[[0-9;?]*[\x40-\x7e]/.exec(s.slice(i, i + 16))
            if (csi) n = csi[0].length
            else if (s[i + 1] === "O" && i + 2 < s.length) n = 3
        }
        keys.push(s.slice(i, i + n))
        i += n
    }
    return keys
}

/**
 * Every action in a chunk, in order, each key seeing the selection the
 * ones before it left.
 */
export function decodeKeys(chunk: string | Uint8Array, selected: number, boards: number): KeyAction[] {
    const actions: KeyAction[] = []
    for (const key of splitKeys(chunk)) {
        const a = decodeKey(key, selected, boards)
        if (!a) continue
        if (a.kind === "select") selected = a.index
        actions.push(a)
    }
    return actions
}
