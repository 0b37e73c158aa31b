// Bytecode size of the firmware, as `devs build --stats` prints it: the
// total, the data sections, and the largest functions.
import { spawn } from "node:child_process"
import { CLI } from "../tools/simulator/devtools"
import { REPO } from "../tools/simulator/project"

export interface Bytecode {
    /** "56kb" as devs prints it. */
    total: string
    /** The header/floats/strings line. */
    sections: string
    /** Largest first; `size` as devs prints it ("0.76kb", "24b"). */
    largest: { name: string; size: string; bytes: number }[]
}

const ANSI = /\x1b\[[0-9;]*m/g

function run(args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO })
        let out = ""
        child.stdout.on("data", d => (out += d))
        child.stderr.on("data", d => (out += d))
        child.on("error", reject)
        child.on("exit", code => (code === 0 ? resolve(out.replace(ANSI, "")) : reject(new Error(`devs ${args.join(" ")} exited ${code}:\n${out}`))))
    })
}

/** "(0.76kb)" or "(24b)" in bytes. */
function bytes(size: string): number {
    const m = /^([0-9.]+)(kb|b)$/.exec(size)
    if (!m) throw new Error(`unreadable size ${size}`)
    return Math.round(+m[1] * (m[2] === "kb" ? 1024 : 1))
}

export async function benchBytecode(top = 10): Promise<Bytecode> {
    const out = await run(["build", "src/main.ts", "--stats"])
    const total = /^bytecode: (\S+)/m.exec(out)
    const sections = /^\s+(header: .*)$/m.exec(out)
    if (!total || !sections) throw new Error(`devs build --stats printed no sizes:\n${out}`)
    const functions = [...out.matchAll(/^ {2}(\S+) \(([0-9.]+k?b)\)$/gm)].map(m => ({ name: m[1], size: m[2], bytes: bytes(m[2]) }))
    functions.sort((a, b) => b.bytes - a.bytes)
    return { total: total[1], sections: sections[1], largest: functions.slice(0, top) }
}
