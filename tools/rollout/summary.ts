// The closing table: one row per target, in rollout order, with the time from
// annotation to Ready on the new firmware (or to the failure).
import type { NodeResult } from "./controller"

export const seconds = (ms: number) => `${Math.round(ms / 1000)} s`

export function summary(results: NodeResult[]): string {
    const rows = [["NODE", "RESULT", "TIME", "DETAIL"]]
    for (const r of results) {
        if (r.outcome === "updated") rows.push([r.node, r.outcome, seconds(r.ms), r.version])
        else if (r.outcome === "failed") rows.push([r.node, r.outcome, seconds(r.ms), r.reason])
        else rows.push([r.node, r.outcome, "-", ""])
    }
    const widths = rows[0].map((_, col) => Math.max(...rows.map(row => row[col].length)))
    return rows.map(row => row.map((cell, col) => (col < row.length - 1 ? cell.padEnd(widths[col]) : cell)).join("   ").trimEnd()).join("\n")
}
