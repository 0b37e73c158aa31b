// `npm test`: every layer of tests, in order of speed, each able to fail the
// run. Prints one closing line "tests: N passed, M failed".
import { spawn } from "node:child_process"
import { existsSync, readdirSync } from "node:fs"
import { join } from "node:path"
import { CLI } from "./simulator/devtools"
import { REPO } from "./simulator/project"

interface Layer {
    name: string
    command: string
    args: string[]
    /** Counts of passed and failed tests read from the layer's output. */
    count(output: string): { passed: number; failed: number }
}

const ANSI = /\x1b\[[0-9;]*m/g

function lastMatch(output: string, re: RegExp): RegExpExecArray | undefined {
    let m: RegExpExecArray | null
    let last: RegExpExecArray | undefined
    const g = new RegExp(re.source, "gm")
    while ((m = g.exec(output))) last = m
    return last
}

function testFiles(dir: string): string[] {
    const abs = join(REPO, dir)
    if (!existsSync(abs)) return []
    return readdirSync(abs)
        .filter(f => f.endsWith(".test.ts"))
        .sort()
        .map(f => join(dir, f))
}

/** @devicescript/test's closing counts. */
function vmTestCount(out: string) {
    const m = lastMatch(out, /tests: (\d+), pass: (\d+), error: (\d+)/)
    return m ? { passed: +m[2], failed: +m[3] } : { passed: 0, failed: 1 }
}

/** node:test's closing counts. */
function nodeTestCount(out: string) {
    const pass = lastMatch(out, /^# pass (\d+)/)
    const fail = lastMatch(out, /^# fail (\d+)/)
    return pass && fail ? { passed: +pass[1], failed: +fail[1] } : { passed: 0, failed: 1 }
}

const layers: Layer[] = [
    {
        name: "firmware build",
        command: process.execPath,
        args: [CLI, "build", "src/main.ts", "--stats"],
        count: out => (/bytecode: /.test(out) ? { passed: 1, failed: 0 } : { passed: 0, failed: 1 }),
    },
    {
        name: "VM unit tests",
        command: process.execPath,
        args: [CLI, "run", "test/unit/main.ts", "--test", "--test-self-exit", "-T", "300000"],
        count: vmTestCount,
    },
    {
        // a second program: one DeviceScript image holds at most 64 KB of function bytecode
        name: "VM transport and fuzz tests",
        command: process.execPath,
        args: [CLI, "run", "test/unit/fuzz/main.ts", "--test", "--test-self-exit", "-T", "300000"],
        count: vmTestCount,
    },
    {
        name: "VM pod theater tests",
        command: process.execPath,
        args: [CLI, "run", "test/unit/pods/main.ts", "--test", "--test-self-exit", "-T", "300000"],
        count: vmTestCount,
    },
    {
        name: "integration tests (node:test)",
        command: process.execPath,
        args: [
            "--import",
            "tsx",
            "--test",
            // devtools has fixed ports: one simulator at a time
            "--test-concurrency=1",
            ...testFiles("test/apiserver"),
            ...testFiles("test/rack"),
            ...testFiles("test/rollout"),
            ...testFiles("test/updater"),
            ...testFiles("test/integration"),
        ],
        count: nodeTestCount,
    },
    {
        // CNCF distribution, built from Go modules and cached like the control plane
        name: "OCI registry",
        command: process.execPath,
        args: ["--import", "tsx", "--test", ...testFiles("test/registry")],
        count: nodeTestCount,
    },
    {
        name: "real control plane",
        command: process.execPath,
        args: ["--import", "tsx", "tools/cluster/test-layer.ts"],
        count: out => {
            // a skip is no failure on a developer's machine without Go; CI must run the layer
            if (/^real control plane: SKIPPED/m.test(out)) return { passed: 0, failed: process.env.CI === "true" ? 1 : 0 }
            return nodeTestCount(out)
        },
    },
    {
        name: "native tests (Xtensa compile, host at 64 and 32 bits)",
        command: "make",
        args: ["-s", "-C", "native", "test"],
        count: out => {
            const m = lastMatch(out, /^native: (\d+) passed, (\d+) failed/)
            return m ? { passed: +m[1], failed: +m[2] } : { passed: 0, failed: 1 }
        },
    },
]

function run(layer: Layer): Promise<{ passed: number; failed: number; code: number }> {
    return new Promise(resolve => {
        console.log(`\n=== ${layer.name}: ${[layer.command === process.execPath ? "node" : layer.command, ...layer.args].join(" ")}`)
        const child = spawn(layer.command, layer.args, { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] })
        let output = ""
        const take = (chunk: Buffer) => {
            process.stdout.write(chunk)
            output += chunk.toString("utf8")
        }
        child.stdout.on("data", take)
        child.stderr.on("data", take)
        child.on("close", code => {
            const counts = layer.count(output.replace(ANSI, ""))
            // a non-zero exit is a failure even if the counts looked clean
            const failed = counts.failed || (code === 0 ? 0 : 1)
            resolve({ ...counts, failed, code: code ?? 1 })
        })
    })
}

async function main() {
    let passed = 0
    let failed = 0
    const summary: string[] = []
    for (const layer of layers) {
        const r = await run(layer)
        passed += r.passed
        failed += r.failed
        summary.push(`  ${layer.name}: ${r.passed} passed, ${r.failed} failed${r.code ? ` (exit ${r.code})` : ""}`)
    }
    console.log("\n" + summary.join("\n"))
    console.log(`tests: ${passed} passed, ${failed} failed`)
    process.exit(failed ? 1 : 0)
}

main()
