import assert from "node:assert/strict"
import { execFileSync, spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import { join } from "node:path"
import { after, before, describe, test } from "node:test"
import { eventually } from "../harness/admin"
import { readEnvFile, REPO } from "../../tools/simulator/project"

// `npm start -- --boards 2` as a user runs it, in a pseudo-terminal (tmux):
// the rows, a cable pull seen on that board only, Ctrl-C leaving nothing.

const SESSION = `pk-rack-${process.pid}`
const tmux = (...args: string[]) => execFileSync("tmux", args, { encoding: "utf8" })
const screen = () => tmux("capture-pane", "-p", "-t", SESSION)
const row = (text: string, n: number) => text.split("\n").find(l => new RegExp(`^[ >]${n}\\s+esp-`).test(l)) ?? ""

/** Every process below `pid`, by /proc. */
function descendants(pid: number): number[] {
    const out = spawnSync("ps", ["-e", "-o", "pid=,ppid="], { encoding: "utf8" }).stdout
    const children = new Map<number, number[]>()
    for (const line of out.trim().split("\n")) {
        const [p, pp] = line.trim().split(/\s+/).map(Number)
        children.set(pp, [...(children.get(pp) ?? []), p])
    }
    const all: number[] = []
    const walk = (p: number) => (children.get(p) ?? []).forEach(c => (all.push(c), walk(c)))
    walk(pid)
    return all
}

const alive = (pid: number) => existsSync(`/proc/${pid}`)
const hasTmux = spawnSync("tmux", ["-V"]).status === 0
// the view runs against .env.local's cluster when it names one: this test is for the bundled emulator
const local = readEnvFile(join(REPO, ".env.local"))
const skip = !hasTmux ? "tmux is not installed" : local.K3S_CA_FILE || !["", "localhost", "127.0.0.1", undefined].includes(local.K3S_HOST as any) ? ".env.local names a cluster" : false

describe("the rack's live view in a terminal", { skip }, () => {
    let panePid = 0
    before(() => {
        tmux("new-session", "-d", "-s", SESSION, "-x", "160", "-y", "30", `cd ${REPO} && exec node --import tsx tools/start.ts --boards 2`)
        panePid = Number(tmux("display-message", "-p", "-t", SESSION, "#{pane_pid}").trim())
    })
    after(() => {
        spawnSync("tmux", ["kill-session", "-t", SESSION])
    })

    test("a row per board, both Ready and Healthy", async () => {
        await eventually("two Ready rows", 120000, () => {
            const s = screen()
            return [1, 2].every(n => /Ready\s.*Healthy\s+running/.test(row(s, n))) ? s : undefined
        })
        assert.match(screen(), /c: cable pull\/plug\s+p: power off\/on/)
    })

    test("a cable pull shows on that board only, and plugging it back heals it", async () => {
        tmux("send-keys", "-t", SESSION, "2")
        tmux("send-keys", "-t", SESSION, "c")
        const s = await eventually("board 2 Disconnected", 20000, () => {
            const s = screen()
            return /Disconnected\s+cable pulled/.test(row(s, 2)) ? s : undefined
        })
        assert.match(row(s, 1), /Healthy\s+running/)
        // the block is drawn in the LED's colour: Disconnected is red-dominant
        const colored = tmux("capture-pane", "-p", "-e", "-t", SESSION).split("\n").find(l => /esp-node-01-02|esp-\S+-02/.test(l)) ?? ""
        const m = /\x1b\[48;2;(\d+);(\d+);(\d+)m/.exec(colored)
        assert.ok(m && Number(m[1]) > Number(m[2]) && Number(m[1]) > Number(m[3]), JSON.stringify(colored))
        tmux("send-keys", "-t", SESSION, "c")
        await eventually("board 2 Healthy again", 30000, () => (/Healthy\s+running/.test(row(screen(), 2)) ? true : undefined))
    })

    test("Ctrl-C stops every process it started", async () => {
        const pids = descendants(panePid)
        assert.ok(pids.length >= 3, `processes under the view: ${pids.length}`)
        tmux("send-keys", "-t", SESSION, "C-c")
        await eventually("every process gone", 30000, () => (pids.concat(panePid).every(p => !alive(p)) ? true : undefined))
    })
})
