// The peers bench/peers.ts runs next to picokubelet on the real control
// plane, built from Go modules into ~/.cache/picokubelet/peers/<name>-<version>/
// like the control plane (tools/cluster/binaries.ts): kwok's own command, and
// a small virtual-kubelet main of ours (tools/peers/virtual-kubelet/) on its
// v1 library. A recipe file says how a folder was built, so a second run
// finds the binaries and a changed recipe builds them again.
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { cacheBase, findGo, GO_ENV, goInstall, run, seconds, withBuildLock } from "../gobuild"

export const KWOK_MODULE = "sigs.k8s.io/kwok"
/** The newest release the Go module proxy listed when this was written. */
export const KWOK_VERSION = "v0.8.0"
export const VK_MODULE = "github.com/virtual-kubelet/virtual-kubelet"
/** Pinned in tools/peers/virtual-kubelet/go.mod. */
export const VK_VERSION = "v1.14.1"

const VK_SOURCE = join(__dirname, "virtual-kubelet")

export const peersCacheRoot = () => join(cacheBase(), "peers")

export interface PeerBinaries {
    kwok: { path: string; version: string; /** kwok's default node stages (initialize, heartbeat with lease), YAML. */ stagesFile: string }
    virtualKubelet: { path: string; version: string }
    /** Seconds each build took in this call; absent for what the cache held. */
    buildSeconds: { kwok?: number; virtualKubelet?: number }
}

interface Peer {
    name: string
    version: string
    recipe: string
    /** Files a complete build leaves in the folder. */
    files: string[]
    build(go: string, dir: string, logFile: string): Promise<void>
}

const dirOf = (p: Peer) => join(peersCacheRoot(), `${p.name}-${p.version}`)
const built = (p: Peer) => {
    const dir = dirOf(p)
    const recipe = join(dir, "recipe")
    return existsSync(recipe) && readFileSync(recipe, "utf8").trim() === p.recipe && p.files.every(f => existsSync(join(dir, f)))
}

function failure(what: string, logFile: string, output: string): Error {
    const tail = output.trimEnd().split("\n").slice(-25).join("\n")
    return new Error(`building ${what} failed (full log: ${logFile}):\n${tail}\nCheck that the Go module proxy is reachable (go env GOPROXY).`)
}

// kwok's stages are kwokctl's defaults for a cluster with node leases; the
// kwok command has none built in, so they are taken from the module that was
// built, never from this repository
const KWOK_STAGES = ["kustomize/stage/node/fast/node-initialize.yaml", "kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml"]

const kwok: Peer = {
    name: "kwok",
    version: KWOK_VERSION,
    recipe: `1 ${KWOK_MODULE}/cmd/kwok@${KWOK_VERSION} CGO_ENABLED=0; stages ${KWOK_STAGES.join(" ")}`,
    files: ["kwok", "stages.yaml"],
    async build(go, dir, logFile) {
        const r = await goInstall(go, `${KWOK_MODULE}/cmd/kwok@${KWOK_VERSION}`, join(dir, "kwok"), { cwd: dir, env: { CGO_ENABLED: "0" }, logFile })
        if (r.code !== 0) throw failure(`kwok ${KWOK_VERSION}`, logFile, r.output)
        const dl = await run(go, ["mod", "download", "-json", `${KWOK_MODULE}@${KWOK_VERSION}`], { cwd: dir, env: GO_ENV })
        if (dl.code !== 0) throw failure(`kwok ${KWOK_VERSION} (its stages)`, logFile, dl.output)
        const moduleDir = JSON.parse(dl.output).Dir
        writeFileSync(join(dir, "stages.yaml"), KWOK_STAGES.map(f => readFileSync(join(moduleDir, f), "utf8").trim()).join("\n---\n") + "\n")
    },
}

const virtualKubelet: Peer = {
    name: "virtual-kubelet",
    version: VK_VERSION,
    // the main's source is part of the recipe: an edited main is built again
    recipe: `1 ${VK_MODULE}@${VK_VERSION} CGO_ENABLED=0; ${["go.mod", "main.go"].map(f => readFileSync(join(VK_SOURCE, f), "utf8")).join("\n")}`.replace(/\s+/g, " ").trim(),
    files: ["virtual-kubelet"],
    async build(go, dir, logFile) {
        const src = join(dir, "src")
        cpSync(VK_SOURCE, src, { recursive: true })
        const r = await run(go, ["build", "-trimpath", "-o", join(dir, "virtual-kubelet"), "."], {
            cwd: src,
            env: { ...GO_ENV, CGO_ENABLED: "0" },
            logFile,
        })
        if (r.code !== 0) throw failure(`virtual-kubelet ${VK_VERSION} (tools/peers/virtual-kubelet)`, logFile, r.output)
    },
}

/** Both peers, found in the cache or built there; `skipped` without them and without Go. */
export async function ensurePeers(log: (line: string) => void = console.log): Promise<{ peers: PeerBinaries } | { skipped: string }> {
    const result = (buildSeconds: PeerBinaries["buildSeconds"]): PeerBinaries => ({
        kwok: { path: join(dirOf(kwok), "kwok"), version: KWOK_VERSION, stagesFile: join(dirOf(kwok), "stages.yaml") },
        virtualKubelet: { path: join(dirOf(virtualKubelet), "virtual-kubelet"), version: VK_VERSION },
        buildSeconds,
    })
    if (built(kwok) && built(virtualKubelet)) return { peers: result({}) }
    const { go, why } = await findGo()
    if (!go) return { skipped: `kwok and virtual-kubelet are not in ${peersCacheRoot()} and ${why}; install Go >= 1.22 to build them` }
    return withBuildLock(
        peersCacheRoot(),
        async () => {
            const buildSeconds: PeerBinaries["buildSeconds"] = {}
            for (const [key, peer] of [["kwok", kwok], ["virtualKubelet", virtualKubelet]] as const) {
                if (built(peer)) continue
                const dir = dirOf(peer)
                mkdirSync(dir, { recursive: true })
                const started = Date.now()
                log(`peers: building ${peer.name} ${peer.version} into ${dir} (a cold build takes minutes)`)
                await peer.build(go, dir, join(dir, `build-${peer.name}.log`))
                writeFileSync(join(dir, "recipe"), peer.recipe + "\n")
                buildSeconds[key] = (Date.now() - started) / 1000
                log(`peers: built ${peer.name} in ${seconds(Date.now() - started)}`)
            }
            return { peers: result(buildSeconds) }
        },
        log
    )
}
