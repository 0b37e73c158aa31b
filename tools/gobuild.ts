// What every command we build from Go modules needs: running go, finding a
// usable Go, the environment that resolves modules against the proxy only,
// `go install pkg@version` into a chosen file, and one build at a time per
// cache. Used by tools/cluster (the control plane) and tools/registry.
import { spawn } from "node:child_process"
import { chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { homedir } from "node:os"
import { basename, dirname, join } from "node:path"
import { acquireLock } from "./lock"

/** ~/.cache/picokubelet (or under $XDG_CACHE_HOME): each built thing has a folder in it. */
export const cacheBase = () => join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "picokubelet")

export interface Run {
    code: number
    output: string
}

/** Runs a command to its end; stdout and stderr together in `output` (and in `logFile`). */
export function run(cmd: string, args: string[], opts: { cwd?: string; env?: Record<string, string>; logFile?: string } = {}): Promise<Run> {
    return new Promise(resolve => {
        const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ["ignore", "pipe", "pipe"] })
        let output = ""
        const take = (d: Buffer) => (output += d.toString("utf8"))
        child.stdout.on("data", take)
        child.stderr.on("data", take)
        child.on("error", e => resolve({ code: 127, output: String(e) }))
        child.on("close", code => {
            if (opts.logFile) writeFileSync(opts.logFile, output)
            resolve({ code: code ?? 1, output })
        })
    })
}

/** The go command, or why there is none usable. */
export async function findGo(): Promise<{ go?: string; why?: string }> {
    for (const go of ["go", "/usr/local/go/bin/go"]) {
        const r = await run(go, ["env", "GOVERSION"])
        if (r.code !== 0) continue
        const m = /^go1\.(\d+)/.exec(r.output.trim())
        if (m && +m[1] >= 22) return { go }
        return { why: `${go} is ${r.output.trim()}, the build needs Go >= 1.22` }
    }
    return { why: "no go command on PATH" }
}

/** Modules resolve against the proxy only; the toolchain is the one installed. */
export const GO_ENV = { GOFLAGS: "-mod=mod", GOTOOLCHAIN: "local", GOWORK: "off" }

export const seconds = (ms: number) => `${Math.round(ms / 1000)} s`

/**
 * `go install <pkg>@<version>` (the module's own go.mod, no replace directives
 * allowed by Go), the binary moved to `out` only once it is whole.
 */
export async function goInstall(go: string, pkgAtVersion: string, out: string, opts: { cwd: string; logFile: string; env?: Record<string, string> }): Promise<Run> {
    const gobin = join(dirname(out), `.gobin-${basename(out)}`)
    rmSync(gobin, { recursive: true, force: true })
    const r = await run(go, ["install", "-trimpath", pkgAtVersion], {
        cwd: opts.cwd,
        env: { ...GO_ENV, GOFLAGS: "", ...opts.env, GOBIN: gobin },
        logFile: opts.logFile,
    })
    if (r.code === 0) {
        const name = pkgAtVersion.replace(/@.*$/, "").split("/").pop()!
        chmodSync(join(gobin, name), 0o755)
        renameSync(join(gobin, name), out)
    }
    rmSync(gobin, { recursive: true, force: true })
    return r
}

/** One build at a time per cache folder `root` (a lock directory inside it). */
export async function withBuildLock<T>(root: string, fn: () => Promise<T>, log: (line: string) => void): Promise<T> {
    mkdirSync(root, { recursive: true })
    const release = await acquireLock(join(root, ".build.lock"), {
        what: "another build",
        onWait: owner => log(`waiting for another build (pid ${owner}) to finish`),
    })
    try {
        return await fn()
    } finally {
        release()
    }
}
