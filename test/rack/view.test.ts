import assert from "node:assert/strict"
import { describe, test } from "node:test"
import { frame, Pattern, PANIC_PERIOD_MS } from "../../src/led/patterns"
import { stripAnsi, truncateVisible, visibleLength } from "../../tools/rack/text"
import {
    BoardView,
    CLEAR_BELOW,
    CLEAR_EOL,
    ENTER,
    HOME,
    LEAVE,
    paint,
    renderLines,
    renderPlain,
    RenderOptions,
    watchFields,
} from "../../tools/rack/view"
import { Watch } from "../../tools/rack/watch"
import { KEYS_HELP } from "../../tools/rack/keys"

const NOW = 1_700_000_000_000
const TARGET = "emulator https://localhost:40123"

function boards(): BoardView[] {
    return [
        {
            index: 0,
            node: "esp-node-01",
            status: "Ready",
            ledRgb: frame(Pattern.Healthy, 1500),
            ledPattern: "Healthy",
            renewals: 14,
            lastRenewalMs: NOW - 3000,
            lastStatus: "report period",
            lastStatusMs: NOW - 42000,
            podsRunning: 3,
            heapFree: 61234,
            taints: [],
            state: "running",
        },
        {
            index: 1,
            node: "esp-node-02",
            status: "NotReady",
            ledRgb: frame(Pattern.Disconnected, 1000),
            ledPattern: "Disconnected",
            renewals: 9,
            lastRenewalMs: NOW - 65000,
            lastStatus: "initial",
            lastStatusMs: NOW - 90000,
            heapFree: 60000,
            taints: ["unreachable:NoExecute", "unreachable:NoSchedule"],
            state: "cable pulled",
        },
        {
            index: 2,
            node: "esp-node-03",
            status: "(not registered)",
            ledRgb: frame(Pattern.Panic, 0),
            ledPattern: "Panic",
            renewals: 0,
            lastRenewalMs: 0,
            lastStatus: "",
            lastStatusMs: 0,
            taints: [],
            state: "crashed",
            exitCode: 3,
        },
        {
            index: 3,
            node: "esp-node-04",
            status: "Ready",
            ledRgb: frame(Pattern.Healthy, 0),
            ledPattern: "Healthy",
            renewals: 2,
            lastRenewalMs: NOW - 11000,
            lastStatus: "initial",
            lastStatusMs: NOW - 21000,
            podsRunning: 0,
            heapFree: 59000,
            taints: [],
            state: "powered off",
        },
    ]
}

const opts = (o: Partial<RenderOptions> = {}): RenderOptions => ({
    target: TARGET,
    now: NOW,
    width: 200,
    height: 40,
    ansi: true,
    selected: 1,
    ...o,
})

/** Every colour opened on a line is reset on that line; no other escapes than SGR. */
function assertBalanced(line: string) {
    let open = false
    for (const m of line.matchAll(/\x1b\[([0-9;?]*)([A-Za-z])/g)) {
        assert.equal(m[2], "m", `only colours in a line: ${JSON.stringify(line)}`)
        open = m[1] !== "0" && m[1] !== ""
    }
    assert.equal(open, false, `a colour left open: ${JSON.stringify(line)}`)
}

describe("the rack's rows", () => {
    test("on a terminal: every column, the LED as a truecolour block, the selection marked", () => {
        const lines = renderLines(boards(), opts())
        assert.deepEqual(lines.map(stripAnsi), [
            `picokubelet rack: 4 boards -> ${TARGET}   Ctrl-C to stop`,
            "#   NODE         STATUS            LED              BOARD                  RENEWALS    LAST STATUS POST        PODS  HEAP FREE  TAINTS",
            " 1  esp-node-01  Ready                Healthy       running                14, 3s ago  report period, 42s ago  3     61234      <none>",
            ">2  esp-node-02  NotReady             Disconnected  cable pulled           9, 65s ago  initial, 90s ago        -     60000      unreachable:NoExecute,unreachable:NoSchedule",
            " 3  esp-node-03  (not registered)     off           crashed (exit code 3)  0           none yet                -     -          <none>",
            " 4  esp-node-04  Ready                off           powered off            2, 11s ago  initial, 21s ago        0     59000      <none>",
            KEYS_HELP,
        ])
        // the blocks: Healthy at its peak scaled to full green; Disconnected red; dead boards dark
        assert.match(lines[2], /\x1b\[48;2;0;255;0m  \x1b\[0m Healthy/)
        assert.match(lines[3], /\x1b\[48;2;\d+;0;0m  \x1b\[0m Disconnected/)
        assert.match(lines[4], /\x1b\[48;2;0;0;0m  \x1b\[0m off/)
        assert.match(lines[5], /\x1b\[48;2;0;0;0m  \x1b\[0m off/)
        assert.match(lines[3], /^>\x1b\[7m2\x1b\[0m /)
        lines.forEach(assertBalanced)
    })

    test("the block follows the LED as it animates", () => {
        const at = (t: number) => {
            const b = boards()
            b[0].ledRgb = frame(Pattern.Healthy, t)
            return /\x1b\[48;2;([\d;]+)m/.exec(renderLines(b, opts())[2])![1]
        }
        assert.equal(at(1500), "0;255;0")
        assert.notEqual(at(0), at(1500))
        assert.match(at(0), /^0;\d+;0$/)
        const panic = (t: number) => {
            const b = boards()
            b[2].state = "running"
            b[2].ledRgb = frame(Pattern.Panic, t)
            return /\x1b\[48;2;([\d;]+)m/.exec(renderLines(b, opts())[4])![1]
        }
        assert.deepEqual([panic(0), panic(PANIC_PERIOD_MS / 2)], ["255;0;0", "0;0;0"])
    })

    test("not a terminal: plain text, colour names, no escapes, no keys", () => {
        const lines = renderPlain(boards(), TARGET, NOW)
        assert.deepEqual(lines, [
            `picokubelet rack: 4 boards -> ${TARGET}   Ctrl-C to stop`,
            "#   NODE         STATUS            LED                 BOARD                  RENEWALS    LAST STATUS POST        PODS  HEAP FREE  TAINTS",
            " 1  esp-node-01  Ready             green (Healthy)     running                14, 3s ago  report period, 42s ago  3     61234      <none>",
            " 2  esp-node-02  NotReady          red (Disconnected)  cable pulled           9, 65s ago  initial, 90s ago        -     60000      unreachable:NoExecute,unreachable:NoSchedule",
            " 3  esp-node-03  (not registered)  off                 crashed (exit code 3)  0           none yet                -     -          <none>",
            " 4  esp-node-04  Ready             off                 powered off            2, 11s ago  initial, 21s ago        0     59000      <none>",
        ])
        assert.ok(!lines.join("\n").includes("\x1b"))
        const selected = renderLines(boards(), opts({ ansi: false, selected: 0 }))
        assert.ok(selected[2].startsWith(">1  esp-node-01"))
        assert.ok(!selected.join("\n").includes("\x1b"))
        assert.ok(!selected.includes(KEYS_HELP), "keys only on a terminal unless asked")
        assert.ok(renderLines(boards(), opts({ ansi: false, keys: true })).includes(KEYS_HELP))
    })

    test("a message line sits above the keys", () => {
        const lines = renderLines(boards(), opts({ message: "board 2: cable pulled" }))
        assert.deepEqual(lines.slice(-2).map(stripAnsi), ["board 2: cable pulled", KEYS_HELP])
    })

    test("a narrow terminal: columns are cut or dropped, no line ever wraps, escapes stay balanced", () => {
        for (let width = 1; width <= 160; width++) {
            for (const ansi of [true, false]) {
                const lines = renderLines(boards(), opts({ width, ansi }))
                for (const l of lines) {
                    // on a terminal the last column stays empty
                    assert.ok(visibleLength(l) <= (ansi ? width - 1 : width), `width ${width}: ${JSON.stringify(l)}`)
                    assert.ok(!/[\r\n]/.test(l))
                    if (ansi) assertBalanced(l)
                    else assert.ok(!l.includes("\x1b"))
                }
            }
        }
        // 80 columns keep the node, STATUS, LED and the board's state; the low-priority columns go
        const at80 = renderLines(boards(), opts({ width: 80 })).map(stripAnsi)
        assert.equal(at80[1].trimEnd(), "#   NODE         STATUS            LED              BOARD")
        assert.equal(at80[5].trimEnd(), " 4  esp-node-04  Ready                off           powered off")
        // the taints column is cut with "…" before it is dropped
        const at150 = renderLines(boards(), opts({ width: 150, ansi: false })).map(stripAnsi)
        assert.match(at150[1], /TAINTS$/)
        assert.match(at150[3], /  unreachable:\S+…$/)
        assert.equal(visibleLength(at150[3]), 150)
        // very narrow: the node names survive, cut
        const at12 = renderLines(boards(), opts({ width: 12, ansi: false }))
        assert.equal(at12[2], " 1  esp-node")
    })

    test("a short terminal: '... N more', the selected board kept in view, never more lines than rows", () => {
        const many: BoardView[] = []
        for (let i = 0; i < 12; i++) many.push({ ...boards()[0], index: i, node: `esp-node-${String(i + 1).padStart(2, "0")}` })
        const lines = renderLines(many, opts({ height: 8, selected: 0 })).map(stripAnsi)
        assert.equal(lines.length, 8)
        // header, titles, 4 rows, "... 8 more", keys
        assert.deepEqual(
            lines.slice(2, 7).map(l => l.slice(0, 15)),
            [">1  esp-node-01", " 2  esp-node-02", " 3  esp-node-03", " 4  esp-node-04", "... 8 more"]
        )
        assert.equal(lines[7], KEYS_HELP)
        const low = renderLines(many, opts({ height: 8, selected: 10 })).map(stripAnsi)
        assert.deepEqual(
            low.slice(2, 7).map(l => l.slice(0, 16)),
            [" 8   esp-node-08", " 9   esp-node-09", " 10  esp-node-10", ">11  esp-node-11", "... 8 more"]
        )
        for (let height = 0; height <= 20; height++) {
            const h = renderLines(many, opts({ height }))
            assert.ok(h.length <= height, `height ${height}: ${h.length} lines`)
            if (height >= 3) assert.ok(h.some(l => /^\.\.\. \d+ more$/.test(stripAnsi(l))) || h.length - 3 >= 12)
        }
        // everything fits: no "more"
        assert.ok(!renderLines(many, opts({ height: 40 })).some(l => l.startsWith("...")))
    })

    test("a frame paints in place: home, clear to end of each line, clear below; never the whole screen", () => {
        const lines = renderLines(boards(), opts())
        const f = paint(lines)
        assert.ok(f.startsWith(HOME))
        assert.ok(f.endsWith(CLEAR_BELOW))
        assert.ok(!f.includes("\x1b[2J"))
        assert.equal(f.split(CLEAR_EOL).length - 1, lines.length)
        assert.equal(f, HOME + lines.map(l => l + CLEAR_EOL).join("\r\n") + CLEAR_BELOW)
        assert.ok(!f.endsWith("\n" + CLEAR_BELOW), "no newline after the last line: a full frame does not scroll")
        assert.ok(ENTER.includes("\x1b[2J") && ENTER.includes("\x1b[?25l"))
        assert.ok(LEAVE.includes("\x1b[?25h"))
    })

    test("a Watch fills a row's firmware fields", () => {
        const w = new Watch(() => NOW - 5000)
        w.take("led: Healthy")
        w.take("lease: renewed #7 renewTime=2025-01-02T03:04:05.678901Z")
        w.take("status: posted (initial) heap=58000 Ready=True MemoryPressure=False")
        w.take("pods: default/web-1 (ReplicaSet) Running, 1 container(s)")
        const row: BoardView = {
            index: 0,
            node: "esp-node-01",
            status: "Ready",
            ledRgb: frame(Pattern.Healthy, 1500),
            taints: [],
            state: "running",
            ...watchFields(w),
        }
        assert.deepEqual(renderPlain([row], TARGET, NOW)[2].split(/  +/), [
            " 1",
            "esp-node-01",
            "Ready",
            "green (Healthy)",
            "running",
            "7, 5s ago",
            "initial, 5s ago",
            "1",
            "58000",
            "<none>",
        ])
    })
})

describe("visible width", () => {
    test("escapes count nothing; a cut closes an open colour", () => {
        const s = "ab\x1b[48;2;1;2;3m  \x1b[0m cd"
        assert.equal(visibleLength(s), 7)
        assert.equal(truncateVisible(s, 3), "ab\x1b[48;2;1;2;3m \x1b[0m")
        assert.equal(truncateVisible(s, 4), "ab\x1b[48;2;1;2;3m  \x1b[0m")
        assert.equal(truncateVisible(s, 6, true), "ab\x1b[48;2;1;2;3m  \x1b[0m …")
        assert.equal(truncateVisible(s, 7), s)
        assert.equal(truncateVisible("abc", 0), "")
    })
})
