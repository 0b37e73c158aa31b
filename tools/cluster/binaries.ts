// Where the control plane's commands come from. Lookup follows envtest's
// convention (TEST_ASSET_<NAME>, then $KUBEBUILDER_ASSETS/<name>), then our
// cache; a missing command is built from Go modules into that cache, since
// the Go module proxy is the only place this machine can get Kubernetes from.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { cacheBase, findGo, GO_ENV, goInstall, Run, run, seconds, withBuildLock } from "../gobuild"

export const COMMANDS = ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl", "kine"] as const
export type Command = (typeof COMMANDS)[number]
export type Binaries = Record<Command, string>

/** The users' k3s is v1.31.1: the newest v1.31 patch whose modules the proxy serves. */
export const DEFAULT_K8S_VERSION = "v1.31"
/** kine as k3s runs it (SQLite); the newest release the proxy served when this was written. */
export const KINE_VERSION = "v0.17.5"

export interface Resolved {
    /** The Kubernetes version the commands report, e.g. v1.31.4 (or "unknown" for envtest's). */
    version: string
    binaries: Binaries
}

export const envVarFor = (cmd: Command) => "TEST_ASSET_" + cmd.toUpperCase().replace(/[^A-Z0-9]/g, "_")

export const cacheRoot = () => join(cacheBase(), "k8s")
const versionDir = (version: string) => join(cacheRoot(), `${version}-linux-amd64`)

/** Bumped whenever how the commands are built changes, so caches made the old way are rebuilt. */
const RECIPE = `2 kine ${KINE_VERSION}`
const recipeFile = (version: string) => join(versionDir(version), "recipe")
const builtByThisRecipe = (version: string) => existsSync(recipeFile(version)) && readFileSync(recipeFile(version), "utf8").trim() === RECIPE

/** The version asked for: --k8s-version, else PICOKUBELET_K8S_VERSION, else the default minor. */
export function requestedVersion(argv = process.argv): string {
    const i = argv.indexOf("--k8s-version")
    const v = (i >= 0 ? argv[i + 1] : undefined) ?? process.env.PICOKUBELET_K8S_VERSION ?? DEFAULT_K8S_VERSION
    if (!/^v1\.\d+(\.\d+)?$/.test(v)) throw new Error(`Kubernetes version ${JSON.stringify(v)}: expected v1.MINOR or v1.MINOR.PATCH`)
    return v
}

const patchOf = (v: string) => Number(v.split(".")[2])
const minorOf = (v: string) => v.split(".").slice(0, 2).join(".")

/** Cached version directories matching `requested`, newest patch first. */
function cachedVersions(requested: string): string[] {
    if (!existsSync(cacheRoot())) return []
    return readdirSync(cacheRoot())
        .map(d => /^(v1\.\d+\.\d+)-linux-amd64$/.exec(d)?.[1])
        .filter((v): v is string => !!v && (v === requested || minorOf(v) === requested) && builtByThisRecipe(v))
        .sort((a, b) => patchOf(b) - patchOf(a))
}

/** Each command from envtest's variables or `dir`; undefined where none is there. */
function locate(dir: string | undefined): Partial<Binaries> {
    const found: Partial<Binaries> = {}
    for (const cmd of COMMANDS) {
        const candidates = [
            process.env[envVarFor(cmd)],
            process.env.KUBEBUILDER_ASSETS && join(process.env.KUBEBUILDER_ASSETS, cmd),
            dir && join(dir, cmd),
        ]
        const path = candidates.find(p => p && existsSync(p))
        if (path) found[cmd] = path
    }
    return found
}

const missing = (found: Partial<Binaries>) => COMMANDS.filter(c => !found[c])

/** What is already on this machine, without building anything. */
export function findBinaries(requested = requestedVersion()): { resolved?: Resolved; missing: Command[]; version?: string } {
    const version = cachedVersions(requested)[0]
    const found = locate(version && versionDir(version))
    const lacking = missing(found)
    if (lacking.length) return { missing: lacking, version }
    const fromCache = version && COMMANDS.every(c => found[c] === join(versionDir(version), c))
    return { resolved: { version: fromCache ? version : "as found", binaries: found as Binaries }, missing: [] }
}

/** The `replace` lines of k8s.io/kubernetes's go.mod, staging paths mapped to published modules. */
function wrapperReplaces(upstreamGoMod: string, stagingVersion: string): { lines: string[]; staging: string[] } {
    const lines: string[] = []
    const staging: string[] = []
    const block = /^replace \(\n([\s\S]*?)^\)/m.exec(upstreamGoMod)?.[1] ?? ""
    const singles = [...upstreamGoMod.matchAll(/^replace (\S.*)$/gm)].map(m => m[1]).filter(l => !l.startsWith("("))
    for (const raw of [...block.split("\n"), ...singles]) {
        const line = raw.trim()
        if (!line || line.startsWith("//")) continue
        const m = /^(\S+)(?: \S+)? => (\S+)(?: (\S+))?$/.exec(line)
        if (!m) throw new Error(`cannot read replace line ${JSON.stringify(line)} of k8s.io/kubernetes's go.mod`)
        if (m[2].startsWith("./staging/")) {
            staging.push(m[1])
            lines.push(`\t${m[1]} => ${m[1]} ${stagingVersion}`)
        } else if (m[2].startsWith(".")) throw new Error(`k8s.io/kubernetes replaces ${m[1]} with a local path ${m[2]}`)
        else lines.push(`\t${line}`)
    }
    return { lines, staging }
}

interface Upstream {
    goMod: string
    /** The release's commit and tag time, stamped into the binaries as a release build has them. */
    commit: string
    date: string
}

/** k8s.io/kubernetes at `version`, or why it cannot be built from the proxy (a module it needs is not served). */
async function upstreamModules(go: string, version: string, cwd: string): Promise<{ why?: string; upstream?: Upstream }> {
    const dl = await run(go, ["mod", "download", "-json", `k8s.io/kubernetes@${version}`], { cwd, env: GO_ENV })
    if (dl.code !== 0) return { why: `k8s.io/kubernetes@${version} is not served` }
    const module = JSON.parse(dl.output)
    const goMod = readFileSync(module.GoMod, "utf8")
    const info = JSON.parse(readFileSync(module.Info, "utf8"))
    const stagingVersion = "v0" + version.slice(2)
    const { staging } = wrapperReplaces(goMod, stagingVersion)
    const mods = staging.filter(m => !m.startsWith("k8s.io/sample-")).map(m => `${m}@${stagingVersion}`)
    const r = await run(go, ["mod", "download", "-json", ...mods], { cwd, env: GO_ENV })
    const failed = [...r.output.matchAll(/"Path": "([^"]+)",\s*"Version": "[^"]+",\s*"Error"/g)].map(m => m[1])
    if (r.code !== 0) return { why: `not served: ${failed.join(", ") || r.output.trim().split("\n").slice(-1)[0]}` }
    return { upstream: { goMod, commit: info.Origin?.Hash ?? "", date: info.Time.replace(/\.\d+Z$/, "Z") } }
}

/**
 * Every patch of `requested` up to the newest the proxy lists, newest first.
 * The proxy's list can leave versions out that it serves, so each patch
 * below the newest is a candidate and the download decides.
 */
async function candidatePatches(go: string, requested: string, cwd: string): Promise<string[]> {
    if (requested.split(".").length === 3) return [requested]
    const r = await run(go, ["list", "-m", "-versions", "k8s.io/kubernetes"], { cwd, env: GO_ENV })
    if (r.code !== 0) throw new Error(`go list -m -versions k8s.io/kubernetes failed:\n${r.output}`)
    const listed = r.output
        .trim()
        .split(/\s+/)
        .slice(1)
        .filter(v => minorOf(v) === requested && /^v\d+\.\d+\.\d+$/.test(v))
    const newest = Math.max(-1, ...listed.map(patchOf))
    return Array.from({ length: newest + 1 }, (_, i) => `${requested}.${newest - i}`)
}

function versionLdflags(version: string, upstream: Upstream): string {
    const [, major, minor] = /^v(\d+)\.(\d+)/.exec(version)!
    const stamp = { gitVersion: version, gitMajor: major, gitMinor: minor, gitCommit: upstream.commit, gitTreeState: "clean", buildDate: upstream.date }
    const pkgs = ["k8s.io/component-base/version", "k8s.io/client-go/pkg/version"]
    return pkgs.flatMap(p => Object.entries(stamp).map(([k, v]) => `-X ${p}.${k}=${v}`)).join(" ")
}

function buildFailure(what: string, logFile: string, output: string): Error {
    const tail = output.trimEnd().split("\n").slice(-25).join("\n")
    return new Error(
        `building ${what} failed (full log: ${logFile}):\n${tail}\n` +
            `What to do: check that the Go module proxy is reachable (go env GOPROXY), or point ` +
            `TEST_ASSET_<NAME> / KUBEBUILDER_ASSETS at existing binaries, or choose another version ` +
            `with --k8s-version / PICOKUBELET_K8S_VERSION.`
    )
}

/** Builds the Kubernetes commands of one version and kine into its cache directory. */
async function build(go: string, version: string, upstream: Upstream, lacking: Command[], log: (line: string) => void) {
    const dir = versionDir(version)
    const src = join(dir, "src")
    mkdirSync(src, { recursive: true })
    const stagingVersion = "v0" + version.slice(2)
    const goLine = /^go (\S+)$/m.exec(upstream.goMod)?.[1] ?? "1.22.0"
    const { lines } = wrapperReplaces(upstream.goMod, stagingVersion)
    writeFileSync(
        join(src, "go.mod"),
        `// Generated by tools/cluster: builds k8s.io/kubernetes ${version} with its staging\n` +
            `// modules taken from the proxy instead of ./staging.\nmodule picokubelet.local/k8s-build\n\n` +
            `go ${goLine}\n\nreplace (\n${lines.join("\n")}\n)\n`
    )
    const k8sCmds = lacking.filter(c => c !== "kine")
    if (k8sCmds.length) {
        log(`resolving k8s.io/kubernetes ${version} (${lines.length} replaced modules)`)
        const getLog = join(dir, "go-get.log")
        const get = await run(go, ["get", ...k8sCmds.map(c => `k8s.io/kubernetes/cmd/${c}@${version}`)], { cwd: src, env: GO_ENV, logFile: getLog })
        if (get.code !== 0) throw buildFailure(`k8s.io/kubernetes ${version} (go get)`, getLog, get.output)
    }
    for (const cmd of lacking) {
        const started = Date.now()
        const logFile = join(dir, `build-${cmd}.log`)
        const tmpOut = join(dir, `.${cmd}.partial`)
        log(`building ${cmd} ${cmd === "kine" ? KINE_VERSION : version} ...`)
        let r: Run
        if (cmd === "kine") {
            // kine's SQLite driver is cgo; go install works since kine's go.mod has no replace directives
            r = await goInstall(go, `github.com/k3s-io/kine@${KINE_VERSION}`, tmpOut, { cwd: src, env: { CGO_ENABLED: "1" }, logFile })
        } else {
            r = await run(
                go,
                ["build", "-trimpath", "-tags", "selinux,notest", "-ldflags", versionLdflags(version, upstream), "-o", tmpOut, `k8s.io/kubernetes/cmd/${cmd}`],
                { cwd: src, env: { ...GO_ENV, CGO_ENABLED: "0" }, logFile }
            )
        }
        if (r.code !== 0) throw buildFailure(cmd, logFile, r.output)
        chmodSync(tmpOut, 0o755)
        renameSync(tmpOut, join(dir, cmd))
        log(`built ${cmd} in ${seconds(Date.now() - started)}`)
    }
}

export type Ensured = { resolved: Resolved } | { skipped: string }

/**
 * The commands for `requested`, found or built. Without them and without Go,
 * `skipped` says why and how to enable them; a failed build throws.
 */
export async function ensureBinaries(requested = requestedVersion(), log: (line: string) => void = console.log): Promise<Ensured> {
    const first = findBinaries(requested)
    if (first.resolved) return { resolved: first.resolved }
    const { go, why } = await findGo()
    if (!go)
        return {
            skipped:
                `${first.missing.join(", ")} not found and ${why}; ` +
                `install Go >= 1.22 to build them, or set KUBEBUILDER_ASSETS or TEST_ASSET_<NAME> to existing binaries`,
        }
    return withBuildLock(cacheRoot(), async () => {
        const again = findBinaries(requested)
        if (again.resolved) return { resolved: again.resolved }
        mkdirSync(cacheRoot(), { recursive: true })
        const started = Date.now()
        const reasons: string[] = []
        for (const version of await candidatePatches(go, requested, cacheRoot())) {
            const served = await upstreamModules(go, version, cacheRoot())
            if (served.why) {
                reasons.push(`${version}: ${served.why}`)
                log(`${version}: ${served.why}; trying the patch before it`)
                continue
            }
            // a cache made by an older recipe is rebuilt whole (Go's build cache keeps that quick)
            const lacking = builtByThisRecipe(version) ? missing(locate(versionDir(version))) : [...COMMANDS]
            log(`control plane ${version}: building ${lacking.join(", ")} into ${versionDir(version)} (a cold build takes tens of minutes)`)
            await build(go, version, served.upstream!, lacking, log)
            writeFileSync(recipeFile(version), RECIPE + "\n")
            log(`control plane ${version}: ready in ${seconds(Date.now() - started)}`)
            const done = findBinaries(version)
            if (!done.resolved) throw new Error(`built ${version} but still missing ${done.missing.join(", ")}`)
            return { resolved: done.resolved }
        }
        throw new Error(`no patch of ${requested} can be built from the Go module proxy:\n  ${reasons.join("\n  ")}`)
    }, log)
}
