// The wire-cost chart as hand-written SVG: one horizontal bar per client,
// stacked by stream (renewals, status posts, reconnects), in KB per hour,
// with the goals drawn as dashed lines.
import { ClientCost, perHour, streamPerHour } from "./cost"

const COLORS: Record<string, string> = {
    "lease renewals": "#4e79a7",
    "status posts": "#f28e2b",
    "reconnects and other": "#e15759",
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

export function wireCostSvg(clients: ClientCost[], goals: GoalMark[], subtitle: string): string {
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
        `<text x="${W / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">Wire cost per hour of steady state</text>`,
        `<text x="${W / 2}" y="36" text-anchor="middle" fill="#555">${esc(subtitle)}</text>`,
    ]
    for (let v = 0; v <= axisMax + 1e-9; v += step) {
        out.push(`<line x1="${x(v)}" y1="${TOP - 6}" x2="${x(v)}" y2="${chartBottom}" stroke="#ddd"/>`)
        out.push(`<text x="${x(v)}" y="${chartBottom + 14}" text-anchor="middle" fill="#555">${Math.round(v)}</text>`)
    }
    out.push(`<text x="${x(axisMax / 2)}" y="${chartBottom + 30}" text-anchor="middle" fill="#555">KB per hour (TCP, both directions, TLS included)</text>`)
    clients.forEach((c, i) => {
        const y = TOP + i * (BAR + GAP)
        out.push(`<text x="${LEFT - 8}" y="${y + BAR / 2 + 4}" text-anchor="end">${esc(c.name)}</text>`)
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
        out.push(`<text x="${px(+x(at) + 6)}" y="${y + BAR / 2 + 4}">${at.toFixed(0)} KB/h</text>`)
    })
    goals.forEach((g, i) => {
        const gx = x(kb(g.bytes))
        out.push(`<line x1="${gx}" y1="${TOP - 8}" x2="${gx}" y2="${chartBottom}" stroke="#333" stroke-dasharray="4 3"/>`)
        out.push(`<text x="${gx}" y="${chartBottom + 48 + 12 * i}" text-anchor="middle" fill="#333">${esc(g.label)}</text>`)
    })
    labels.forEach((label, i) => {
        const lx = LEFT + i * 170
        out.push(`<rect x="${lx}" y="${H - 22}" width="12" height="12" fill="${COLORS[label] ?? "#999"}"/>`)
        out.push(`<text x="${lx + 17}" y="${H - 12}">${esc(label)}</text>`)
    })
    out.push("</svg>")
    return out.join("\n") + "\n"
}
