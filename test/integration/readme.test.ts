import assert from "node:assert/strict"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, test } from "node:test"
import { conditionRows } from "../../src/k8s/conditions"
import { settingRows } from "../../src/settings/settings"
import { readEnvFile, REPO } from "../../tools/simulator/project"

// README's conditions and settings tables, and .env.defaults, against the
// firmware's own tables: the firmware's rows are the single source.

const readme = readFileSync(join(REPO, "README.md"), "utf8")

/** The rows of the table under `heading`, as arrays of cells. */
function table(heading: string): string[][] {
    const from = readme.indexOf(heading)
    assert.ok(from >= 0, `README has no "${heading}"`)
    const lines = readme.slice(from).split("\n")
    const start = lines.findIndex(l => l.startsWith("|"))
    const rows: string[][] = []
    for (const line of lines.slice(start + 2)) {
        if (!line.startsWith("|")) break
        rows.push(line.slice(1, -1).split(" | ").map(c => c.trim()))
    }
    return rows
}

const conditionsSource = readFileSync(join(REPO, "src", "k8s", "conditions.ts"), "utf8")

/** A condition row's "True when" comment, the line above its row. */
function trueWhen(type: string): string {
    const match = new RegExp(`// True when: (.*)\\n\\s*condition\\("${type}"`).exec(conditionsSource)
    assert.ok(match, `src/k8s/conditions.ts: row ${type} has no "True when" comment`)
    return match[1]
}

describe("README matches the firmware's tables", () => {
    test("conditions: one row per condition, in posting order, with its rule and reasons", () => {
        const expected = conditionRows().map(c => [c.type, trueWhen(c.type), [c.reasonTrue, c.reasonFalse].filter(r => r).join(" / ")])
        assert.deepEqual(table("### Conditions"), expected)
    })
    test("settings: every key, with the default .env.defaults gives it; secrets only in .env.local", () => {
        const defaults = readEnvFile(join(REPO, ".env.defaults"))
        const rows = new Map(table("## Settings").map(r => [r[0], r[1]]))
        for (const s of settingRows()) {
            const key = `\`${s.key}\``
            const cell = rows.get(key) ?? [...rows.entries()].find(([k]) => k.startsWith(key))?.[1]
            assert.ok(cell !== undefined, `README has no row for ${s.key}`)
            if (s.secret) {
                assert.equal(cell, "(secret)", s.key)
                assert.equal(defaults[s.key], undefined, `${s.key} is secret: not in .env.defaults`)
                continue
            }
            assert.ok(s.key in defaults, `.env.defaults lacks ${s.key}`)
            const value = defaults[s.key]
            assert.equal(cell, value === "" || value === undefined ? "(empty)" : `\`${value}\``, s.key)
            if (s.dflt !== undefined) assert.equal(String(s.dflt), String(value), `${s.key}: .env.defaults and the firmware's default`)
        }
    })
})
