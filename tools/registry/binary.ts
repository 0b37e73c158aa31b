// Where the OCI registry's command comes from: $PICOKUBELET_REGISTRY_BIN, then
// our cache, else it is built from Go modules into that cache (like the
// control plane, tools/cluster/binaries.ts).
//
// The registry is CNCF distribution (github.com/distribution/distribution/v3,
// `registry serve config.yml`): the registry that Docker Hub, Harbor, GitLab
// and Debian's docker-registry package (2.8) are made of. It stores image-spec
// 1.1 artifact manifests verbatim, refuses a manifest whose blobs are missing,
// and answers Range requests as RFC 9110 says (206, open-ended and clamped
// ranges), which is what the board's windowed pull will meet in the field.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { cacheBase, findGo, goInstall, seconds, withBuildLock } from "../gobuild"

export const DISTRIBUTION_MODULE = "github.com/distribution/distribution/v3"
/** The newest release the Go module proxy served when this was written. */
export const DISTRIBUTION_VERSION = "v3.1.2"
/** Names a registry command to use instead of building one (distribution's or Debian's docker-registry: both take `serve <config>`). */
export const BIN_ENV = "PICOKUBELET_REGISTRY_BIN"

export const registryCacheRoot = () => join(cacheBase(), "registry")
const versionDir = () => join(registryCacheRoot(), `distribution-${DISTRIBUTION_VERSION}-linux-amd64`)
const binaryPath = () => join(versionDir(), "registry")

/** Bumped whenever how the command is built changes, so caches made the old way are rebuilt. */
const RECIPE = `1 ${DISTRIBUTION_MODULE}/cmd/registry@${DISTRIBUTION_VERSION} CGO_ENABLED=0`
const recipeFile = () => join(versionDir(), "recipe")
const builtByThisRecipe = () => existsSync(recipeFile()) && readFileSync(recipeFile(), "utf8").trim() === RECIPE

export interface RegistryBinary {
    path: string
    /** "distribution v3.1.2", or "as found" for $PICOKUBELET_REGISTRY_BIN. */
    version: string
}

export type EnsuredRegistry = { binary: RegistryBinary } | { skipped: string }

/** What is already on this machine, without building anything. */
export function findRegistry(): RegistryBinary | undefined {
    const given = process.env[BIN_ENV]
    if (given) {
        if (!existsSync(given)) throw new Error(`${BIN_ENV}=${given}: no such file`)
        return { path: given, version: "as found" }
    }
    if (builtByThisRecipe() && existsSync(binaryPath())) return { path: binaryPath(), version: `distribution ${DISTRIBUTION_VERSION}` }
    return undefined
}

/**
 * The registry command, found or built. Without it and without Go, `skipped`
 * says why and how to get one; a failed build throws.
 */
export async function ensureRegistry(log: (line: string) => void = console.log): Promise<EnsuredRegistry> {
    const found = findRegistry()
    if (found) return { binary: found }
    const { go, why } = await findGo()
    if (!go)
        return {
            skipped:
                `no registry command (distribution ${DISTRIBUTION_VERSION}) in ${versionDir()} and ${why}; ` +
                `install Go >= 1.22 to build it, or set ${BIN_ENV} to a distribution registry command ` +
                `(Debian: apt-get install docker-registry, then ${BIN_ENV}=/usr/bin/docker-registry)`,
        }
    return withBuildLock(
        registryCacheRoot(),
        async () => {
            const again = findRegistry()
            if (again) return { binary: again }
            const dir = versionDir()
            const logFile = join(dir, "build-registry.log")
            const started = Date.now()
            log(`registry: building ${DISTRIBUTION_MODULE}/cmd/registry ${DISTRIBUTION_VERSION} into ${dir} (a cold build takes about two minutes)`)
            mkdirSync(dir, { recursive: true })
            const r = await goInstall(go, `${DISTRIBUTION_MODULE}/cmd/registry@${DISTRIBUTION_VERSION}`, binaryPath(), {
                cwd: dir,
                env: { CGO_ENABLED: "0" },
                logFile,
            })
            if (r.code !== 0) {
                const tail = r.output.trimEnd().split("\n").slice(-25).join("\n")
                throw new Error(
                    `building the registry (distribution ${DISTRIBUTION_VERSION}) failed (full log: ${logFile}):\n${tail}\n` +
                        `What to do: check that the Go module proxy is reachable (go env GOPROXY), or set ${BIN_ENV} to an existing registry command.`
                )
            }
            writeFileSync(recipeFile(), RECIPE + "\n")
            log(`registry: built in ${seconds(Date.now() - started)}`)
            return { binary: findRegistry()! }
        },
        log
    )
}
