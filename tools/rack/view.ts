// The rack's live view as a pure function: the boards' rows, the terminal's
// size and the time -> the lines of one frame. No I/O here: the caller
// writes paint(lines) to a terminal (in place, no flicker) or lines.join("\n")
// to a log.
import { humanDuration } from "../apiserver/printers"
import { ledBlock, ledName } from "./colors"
import { KEYS_HELP } from "./keys"
import { fit, truncateVisible, visibleLength } from "./text"
import { Watch } from "./watch"

export type BoardState = "starting" | "running" | "cable pulled" | "powered off" | "crashed"

/** One board's row. Times are Date.now()-style ms; 0 means never. */
export interface BoardView {
    /** 0-based; shown as index + 1 (the digit key that selects it). */
    index: number
    node: string
    /** nodeStatus(): Ready, NotReady, Unknown, or NOT_REGISTERED. */
    status: string
    /** The LED's last 0xRRGGBB (LedWatcher.color); undefined before the first. */
    ledRgb?: number
    /** The LED pattern the firmware last logged (Watch.ledPattern). */
    ledPattern?: string
    renewals: number
    lastRenewalMs: number
    /** Why the last status post was made; "" before the first. */
    lastStatus: string
    lastStatusMs: number
    /** Pods running; undefined until pod theater reported. */
    podsRunning?: number
    /** Free heap bytes; undefined until known. */
    heapFree?: number
    /** nodeTaints(): "key:effect". */
    taints: string[]
    state: BoardState
    /** For "crashed": the VM's exit code. */
    exitCode?: number
}

/** The BoardView fields a Watch knows. */
export function watchFields(
    w: Watch
): Pick<BoardView, "ledPattern" | "renewals" | "lastRenewalMs" | "lastStatus" | "lastStatusMs" | "podsRunning" | "heapFree"> {
    return {
        ledPattern: w.ledPattern,
        renewals: w.renewals,
        lastRenewalMs: w.lastRenewalMs,
        lastStatus: w.lastStatus,
        lastStatusMs: w.lastStatusMs,
        podsRunning: w.podsRunning,
        heapFree: w.heapFree,
    }
}

export interface RenderOptions {
    /** What the boards run against, for the header: "emulator https://localhost:40123". */
    target: string
    /** Date.now() for the "ago" cells. */
    now: number
    /** Terminal columns (process.stdout.columns); no line is longer. Infinity for a log. */
    width: number
    /** Terminal rows (process.stdout.rows); no more lines than this. Infinity for a log. */
    height: number
    /** A terminal: the LED as a colour block, the selection highlighted. Else plain text, no escapes. */
    ansi: boolean
    /** The selected board's index; no selection is shown without it. */
    selected?: number
    /** The footer with the keys (default: when ansi). */
    keys?: boolean
    /** A line above the keys: what the last key did ("board 2: cable pulled"). */
    message?: string
}

// ANSI sequences for painting in place. CLEAR_SCREEN once at the start,
// then each frame is paint(lines); SHOW_CURSOR (with RESET) at exit.
export const CLEAR_SCREEN = "\x1b[2J"
export const HOME = "\x1b[H"
export const CLEAR_EOL = "\x1b[K"
export const CLEAR_BELOW = "\x1b[J"
export const HIDE_CURSOR = "\x1b[?25l"
export const SHOW_CURSOR = "\x1b[?25h"
export const RESET = "\x1b[0m"
/** Write once when the live view starts on a terminal. */
export const ENTER = CLEAR_SCREEN + HOME + HIDE_CURSOR
/** Write once at exit (also on Ctrl-C and errors): the cursor back, colours reset, a fresh line. */
export const LEAVE = RESET + SHOW_CURSOR + "\n"

/**
 * One frame as one write: cursor home, each line followed by clear-to-end-
 * of-line, then clear below (what a shorter frame left). The screen is never
 * cleared as a whole, so nothing flickers. No newline after the last line:
 * a frame as tall as the terminal does not scroll it.
 */
export function paint(lines: string[]): string {
    return HOME + lines.map(l => l + CLEAR_EOL).join("\r\n") + CLEAR_BELOW
}

export function headerLine(target: string, boards: number): string {
    return `picokubelet rack: ${boards} board${boards === 1 ? "" : "s"} -> ${target}   Ctrl-C to stop`
}

function ago(now: number, t: number): string {
    return t ? `${humanDuration(Math.max(0, now - t))} ago` : ""
}

function boardState(b: BoardView): string {
    if (b.state === "crashed") return b.exitCode === undefined ? "crashed" : `crashed (exit code ${b.exitCode})`
    return b.state
}

/** A dead board's LED is dark, whatever it showed last. */
const ledDark = (b: BoardView) => b.state === "powered off" || b.state === "crashed"

interface Column {
    title: string
    cell(b: BoardView, o: RenderOptions): string
    /** Columns that may be cut with "…" down to this width before any is dropped. */
    min?: number
}

const COLUMNS: Record<string, Column> = {
    index: {
        title: "#",
        cell: (b, o) => {
            const n = String(b.index + 1)
            if (o.selected !== b.index) return ` ${n}`
            return o.ansi ? `>\x1b[7m${n}${RESET}` : `>${n}`
        },
    },
    node: { title: "NODE", cell: b => b.node },
    status: { title: "STATUS", cell: b => b.status },
    led: {
        title: "LED",
        cell: (b, o) => {
            const dark = ledDark(b)
            if (!o.ansi) return dark ? "off" : ledName(b.ledRgb, b.ledPattern)
            if (dark) return `${ledBlock(0)} off`
            if (b.ledRgb === undefined) return `?? ${b.ledPattern ?? ""}`.trimEnd()
            return `${ledBlock(b.ledRgb)} ${b.ledPattern ?? ""}`.trimEnd()
        },
    },
    board: { title: "BOARD", cell: b => boardState(b) },
    renewals: {
        title: "RENEWALS",
        cell: (b, o) => (b.lastRenewalMs ? `${b.renewals}, ${ago(o.now, b.lastRenewalMs)}` : String(b.renewals)),
    },
    lastStatus: {
        title: "LAST STATUS POST",
        cell: (b, o) => (b.lastStatusMs ? `${b.lastStatus}, ${ago(o.now, b.lastStatusMs)}` : "none yet"),
        min: 12,
    },
    pods: { title: "PODS", cell: b => (b.podsRunning === undefined ? "-" : String(b.podsRunning)) },
    heap: { title: "HEAP FREE", cell: b => (b.heapFree === undefined ? "-" : String(b.heapFree)) },
    taints: { title: "TAINTS", cell: b => (b.taints.length ? b.taints.join(",") : "<none>"), min: 10 },
}

/** Left to right. */
const ORDER = ["index", "node", "status", "led", "board", "renewals", "lastStatus", "pods", "heap", "taints"]
/** When the width is short, these go first to last; index and node always stay. */
const DROP = ["heap", "lastStatus", "renewals", "pods", "taints", "board", "led", "status"]
/** Shrunk (to their min) before anything is dropped, first to last. */
const SHRINK = ["taints", "lastStatus"]
const GAP = "  "

/**
 * Which columns fit `width`, and how wide each is: natural widths first;
 * then the shrinkable columns cut down to their minimum; then columns
 * dropped in DROP order (each drop restoring the others' natural widths).
 */
function layout(cells: Record<string, string[]>, width: number): { key: string; width: number }[] {
    const natural = (k: string) => Math.max(...cells[k].map(visibleLength))
    let keys = ORDER.slice()
    for (const dropping of [undefined, ...DROP]) {
        if (dropping) keys = keys.filter(k => k !== dropping)
        const widths = keys.map(k => ({ key: k, width: natural(k) }))
        // the last column is not padded, so it takes no gap after it
        const total = () => widths.reduce((s, c) => s + c.width, 0) + GAP.length * (widths.length - 1)
        for (const k of SHRINK) {
            const c = widths.find(w => w.key === k)
            const min = COLUMNS[k].min!
            if (!c || total() <= width || c.width <= min) continue
            c.width = Math.max(min, c.width - (total() - width))
        }
        if (total() <= width) return widths
    }
    return keys.map(k => ({ key: k, width: natural(k) }))
}

/**
 * The frame's lines: a header (what the boards run against; Ctrl-C to
 * stop), the column titles, one row per board, "... N more" when the
 * height cuts rows off, and a footer with the keys. No line is wider than
 * `width` visible characters (columns are cut or dropped, the line then
 * cut: it never wraps); with ANSI the last terminal column stays empty,
 * since a character there followed by clear-to-end-of-line is erased by
 * some terminals. At most `height` lines: the header and footer go first
 * when even one row would not fit.
 */
export function renderLines(boards: BoardView[], o: RenderOptions): string[] {
    const width = Math.max(0, o.ansi ? o.width - 1 : o.width)
    const height = Math.max(0, o.height)
    const showKeys = o.keys ?? o.ansi

    // which rows fit: header, titles, rows, footer
    let header = [headerLine(o.target, boards.length)]
    let footer = [...(o.message ? [o.message] : []), ...(showKeys ? [KEYS_HELP] : [])]
    let titles = true
    const room = () => height - header.length - footer.length - (titles ? 1 : 0)
    while (room() < 1 && footer.length) footer = footer.slice(1)
    if (room() < 1) header = []
    if (room() < 1) titles = false
    let shown = boards
    let more = 0
    if (boards.length > room()) {
        const visible = Math.max(0, room() - 1)
        const sel = o.selected ?? 0
        const start = Math.max(0, Math.min(sel - visible + 1, boards.length - visible))
        shown = boards.slice(start, start + visible)
        more = boards.length - visible
    }

    const cells: Record<string, string[]> = {}
    for (const k of ORDER) cells[k] = [COLUMNS[k].title, ...shown.map(b => COLUMNS[k].cell(b, o))]
    const cols = layout(cells, width)
    const row = (i: number) =>
        cols
            .map((c, j) => {
                const cell = cells[c.key][i]
                // the last column is cut, not padded: no trailing blanks
                return j === cols.length - 1 ? (visibleLength(cell) > c.width ? fit(cell, c.width) : cell) : fit(cell, c.width)
            })
            .join(GAP)

    const lines = [...header]
    if (titles) lines.push(row(0))
    shown.forEach((_, i) => lines.push(row(i + 1)))
    if (more) lines.push(`... ${more} more`)
    lines.push(...footer)
    return lines.slice(0, height).map(l => truncateVisible(l, width))
}

/** renderLines for a log: plain text, every column, every board. */
export function renderPlain(boards: BoardView[], target: string, now: number): string[] {
    return renderLines(boards, { target, now, width: Infinity, height: Infinity, ansi: false })
}
