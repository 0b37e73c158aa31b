// The wire-cost chart as hand-written SVG: one horizontal bar per client,
// stacked by stream (renewals, status posts, reconnects), in KB per hour,
// with the goals drawn as dashed lines.
import { ClientCost, perHour, streamPerHour } from "./cost"

const COLORS: Record<string, string> = {
    "lease renewals": "#4e79a7",
    "status posts": "#f28e2b",
    "reconnects and other": "#e15759",
    "pod listings": "#76b7b2",
    "watches, reconnects and other": "#e15759",
}
const W = 760
const LEFT = 230
const RIGHT = 90
const BAR = 28
const GAP = 18
const TOP = 48

/** A goal as a line on the axis, e.g. 0.2x the seed's total. */
export interface GoalMark {
    label: string
    bytes: number
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
const kb = (bytes: number) => bytes / 1024
const px = (v: number) => v.toFixed(1)

/** A round axis step giving about five ticks up to `max`. */
function tickStep(max: number): number {
    const raw = max / 5
    const p = 10 ** Math.floor(Math.log10(raw))
    return [1, 2, 5, 10].map(m => m * p).find(s => s >= raw)!
}

/** `highlight`: the client drawn in bold with its bar outlined (ours, among peers). */
export function wireCostSvg(
    clients: ClientCost[],
    goals: GoalMark[],
    subtitle: string,
    opts: { title?: string; highlight?: ClientCost["key"] } = {}
): string {
    const labels = [...new Set(clients.flatMap(c => c.streams.map(s => s.label)))]
    const max = Math.max(...clients.map(c => kb(perHour(c).total)))
    const step = tickStep(max)
    const axisMax = Math.ceil(max / step) * step
    const x = (v: number) => px(LEFT + ((W - LEFT - RIGHT) * v) / axisMax)
    const chartBottom = TOP + clients.length * (BAR + GAP)
    const H = chartBottom + 90
    const out: string[] = [
        `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
        `<rect width="${W}" height="${H}" fill="white"/>`,
        `<text x="${W / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${esc(opts.title ?? "Wire cost per hour of steady state")}</text>`,
        `<text x="${W / 2}" y="36" text-anchor="middle" fill="#555">${esc(subtitle)}</text>`,
    ]
    for (let v = 0; v <= axisMax + 1e-9; v += step) {
        out.push(`<line x1="${x(v)}" y1="${TOP - 6}" x2="${x(v)}" y2="${chartBottom}" stroke="#ddd"/>`)
        out.push(`<text x="${x(v)}" y="${chartBottom + 14}" text-anchor="middle" fill="#555">${Math.round(v)}</text>`)
    }
    out.push(`<text x="${x(axisMax / 2)}" y="${chartBottom + 30}" text-anchor="middle" fill="#555">KB per hour (TCP, both directions, TLS included)</text>`)
    clients.forEach((c, i) => {
        const y = TOP + i * (BAR + GAP)
        const bold = c.key === opts.highlight ? ` font-weight="bold"` : ""
        out.push(`<text x="${LEFT - 8}" y="${y + BAR / 2 + 4}" text-anchor="end"${bold}>${esc(c.name)}</text>`)
        let at = 0
        for (const s of c.streams) {
            const v = kb(streamPerHour(s).total)
            if (v <= 0) continue
            out.push(
                `<rect x="${x(at)}" y="${y}" width="${px(+x(at + v) - +x(at))}" height="${BAR}" fill="${COLORS[s.label] ?? "#999"}">` +
                    `<title>${esc(`${c.name}, ${s.label}: ${v.toFixed(0)} KB/h`)}</title></rect>`
            )
            at += v
        }
        if (bold) out.push(`<rect x="${x(0)}" y="${y - 2}" width="${px(+x(at) - +x(0))}" height="${BAR + 4}" fill="none" stroke="#222" stroke-width="2"/>`)
        out.push(`<text x="${px(+x(at) + 6)}" y="${y + BAR / 2 + 4}"${bold}>${at.toFixed(0)} KB/h</text>`)
    })
    goals.forEach((g, i) => {
        const gx = x(kb(g.bytes))
        out.push(`<line x1="${gx}" y1="${TOP - 8}" x2="${gx}" y2="${chartBottom}" stroke="#333" stroke-dasharray="4 3"/>`)
        out.push(`<text x="${gx}" y="${chartBottom + 48 + 12 * i}" text-anchor="middle" fill="#333">${esc(g.label)}</text>`)
    })
    // four streams (the peers' chart) need the whole width
    const [legendX, legendStep] = labels.length > 3 ? [10, (W - 20) / labels.length] : [LEFT, 170]
    labels.forEach((label, i) => {
        const lx = legendX + i * legendStep
        out.push(`<rect x="${lx}" y="${H - 22}" width="12" height="12" fill="${COLORS[label] ?? "#999"}"/>`)
        out.push(`<text x="${lx + 17}" y="${H - 12}">${esc(label)}</text>`)
    })
    out.push("</svg>")
    return out.join("\n") + "\n"
}

/** One small bar chart of the rack chart: a value per rack size, a reference line and band. */
export interface RackPanel {
    title: string
    unit: string
    values: { boards: number; value: number }[]
    /** A dashed line (one board's value) and a shaded band around it (a goal's tolerance). */
    reference?: { value: number; band?: number; label: string }
    /** Upper end of the axis at least this (e.g. 100 for a share). */
    axisMin?: number
}

const PANEL_W = 250
const PANEL_H = 200

function rackPanel(p: RackPanel, ox: number, oy: number): string[] {
    const plotL = ox + 44
    const plotR = ox + PANEL_W - 12
    const plotT = oy + 40
    const plotB = oy + PANEL_H - 30
    const refTop = p.reference ? p.reference.value * (1 + (p.reference.band ?? 0)) : 0
    const max = Math.max(p.axisMin ?? 0, refTop, ...p.values.map(v => v.value), 1e-9)
    const step = tickStep(max)
    const axisMax = Math.ceil((max * 1.08) / step) * step
    const y = (v: number) => px(plotB - ((plotB - plotT) * v) / axisMax)
    const out = [
        `<text x="${ox + PANEL_W / 2}" y="${oy + 14}" text-anchor="middle" font-weight="bold">${esc(p.title)}</text>`,
        `<text x="${ox + PANEL_W / 2}" y="${oy + 27}" text-anchor="middle" fill="#555" font-size="11">${esc(p.unit)}</text>`,
    ]
    for (let v = 0; v <= axisMax + 1e-9; v += step) {
        out.push(`<line x1="${plotL}" y1="${y(v)}" x2="${plotR}" y2="${y(v)}" stroke="#eee"/>`)
        out.push(`<text x="${plotL - 4}" y="${+y(v) + 4}" text-anchor="end" fill="#555" font-size="10">${+v.toPrecision(6)}</text>`)
    }
    if (p.reference) {
        const { value, band, label } = p.reference
        if (band) out.push(`<rect x="${plotL}" y="${y(value * (1 + band))}" width="${plotR - plotL}" height="${px(+y(value * (1 - band)) - +y(value * (1 + band)))}" fill="#59a14f" opacity="0.15"/>`)
        out.push(`<line x1="${plotL}" y1="${y(value)}" x2="${plotR}" y2="${y(value)}" stroke="#333" stroke-dasharray="4 3"><title>${esc(label)}</title></line>`)
    }
    const slot = (plotR - plotL) / Math.max(1, p.values.length)
    p.values.forEach((v, i) => {
        const bx = plotL + slot * i + slot * 0.2
        out.push(
            `<rect x="${px(bx)}" y="${y(v.value)}" width="${px(slot * 0.6)}" height="${px(plotB - +y(v.value))}" fill="#4e79a7">` +
                `<title>${esc(`${v.boards} board(s): ${v.value.toPrecision(3)} ${p.unit}`)}</title></rect>`
        )
        out.push(`<text x="${px(bx + slot * 0.3)}" y="${+y(v.value) - 3}" text-anchor="middle" font-size="10">${+v.value.toPrecision(3)}</text>`)
        out.push(`<text x="${px(bx + slot * 0.3)}" y="${plotB + 13}" text-anchor="middle" fill="#555">${v.boards}</text>`)
    })
    out.push(`<line x1="${plotL}" y1="${plotB}" x2="${plotR}" y2="${plotB}" stroke="#999"/>`)
    out.push(`<text x="${ox + PANEL_W / 2}" y="${plotB + 27}" text-anchor="middle" fill="#555" font-size="11">boards</text>`)
    return out
}

/** The rack's cost against the number of boards: small bar charts, three to a row. */
export function rackSvg(panels: RackPanel[], subtitle: string, note: string): string {
    const cols = 3
    const rows = Math.ceil(panels.length / cols)
    const W = cols * PANEL_W + 20
    const H = 48 + rows * PANEL_H + 24
    const out: string[] = [
        `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
        `<rect width="${W}" height="${H}" fill="white"/>`,
        `<text x="${W / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">The rack: cost against the number of boards</text>`,
        `<text x="${W / 2}" y="36" text-anchor="middle" fill="#555">${esc(subtitle)}</text>`,
    ]
    panels.forEach((p, i) => out.push(...rackPanel(p, 10 + (i % cols) * PANEL_W, 48 + Math.floor(i / cols) * PANEL_H)))
    out.push(`<text x="${W / 2}" y="${H - 10}" text-anchor="middle" fill="#555" font-size="11">${esc(note)}</text>`)
    out.push("</svg>")
    return out.join("\n") + "\n"
}
