// Kubernetes' own protobuf schema for the emulator's protobuf replies: the
// generated.proto files of k8s.io/api and k8s.io/apimachinery at the version
// the emulator reports, and the Go types beside them (which fields are
// pointers, their JSON names, what is inlined: the .proto files do not say,
// and the bytes depend on it). The Go module proxy is the only source this
// machine has, so the go command fetches them once into our cache; the
// repository never holds them. `tsx tools/apiserver/proto-schema.ts` fetches
// ahead of time and prints where they are.
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { cacheBase, findGo, GO_ENV, run, withBuildLock } from "../gobuild"
import { versionInfo } from "./discovery"

/** Staging modules carry the minor version as v0.Y.Z: kube-apiserver v1.31.4 goes with k8s.io/api v0.31.4. */
export const STAGING_VERSION = "v0" + versionInfo.gitVersion.slice(2)

const MODULES = ["k8s.io/api", "k8s.io/apimachinery"]

/** Package directories whose generated.proto the served types reach, with the file that declares their Go structs. */
export const PACKAGES: { dir: string; goTypes?: string }[] = [
    { dir: "k8s.io/api/core/v1", goTypes: "types.go" },
    { dir: "k8s.io/api/coordination/v1", goTypes: "types.go" },
    { dir: "k8s.io/apimachinery/pkg/apis/meta/v1", goTypes: "types.go" },
    { dir: "k8s.io/apimachinery/pkg/apis/meta/v1beta1", goTypes: "types.go" },
    { dir: "k8s.io/apimachinery/pkg/runtime", goTypes: "types.go" },
    { dir: "k8s.io/apimachinery/pkg/runtime/schema" },
    { dir: "k8s.io/apimachinery/pkg/util/intstr" },
    { dir: "k8s.io/apimachinery/pkg/api/resource" },
]

export const schemaDir = (version = STAGING_VERSION) => join(cacheBase(), "proto", version)
const completeMarker = (dir: string) => join(dir, ".complete")

/** The cached schema's directory (files laid out by import path), fetched first if missing. */
export async function ensureProtoSchema(log: (line: string) => void = () => {}, version = STAGING_VERSION): Promise<string> {
    const dir = schemaDir(version)
    if (existsSync(completeMarker(dir))) return dir
    return withBuildLock(
        dir,
        async () => {
            if (existsSync(completeMarker(dir))) return dir
            const { go, why } = await findGo()
            if (!go) throw new Error(`the protobuf schema needs the go command to fetch k8s.io/api ${version}: ${why}`)
            // `go mod download` wants a main module to run in, even for explicit module@version arguments
            const scratch = join(dir, ".download")
            mkdirSync(scratch, { recursive: true })
            writeFileSync(join(scratch, "go.mod"), "module picokubelet.local/proto-schema\n\ngo 1.22\n")
            log(`fetching ${MODULES.map(m => `${m}@${version}`).join(", ")}`)
            const r = await run(go, ["mod", "download", "-json", ...MODULES.map(m => `${m}@${version}`)], { cwd: scratch, env: GO_ENV })
            if (r.code !== 0) throw new Error(`go mod download of the protobuf schema failed:\n${r.output.trim().split("\n").slice(-10).join("\n")}`)
            const moduleDirs = new Map<string, string>()
            for (const m of r.output.matchAll(/"Path": "([^"]+)",[\s\S]*?"Dir": "([^"]+)"/g)) moduleDirs.set(m[1], m[2])
            for (const pkg of PACKAGES) {
                const module = MODULES.find(m => pkg.dir.startsWith(m + "/"))!
                const from = join(moduleDirs.get(module) ?? "", pkg.dir.slice(module.length + 1))
                for (const file of ["generated.proto", ...(pkg.goTypes ? [pkg.goTypes] : [])]) {
                    const to = join(dir, pkg.dir, file)
                    mkdirSync(dirname(to), { recursive: true })
                    copyFileSync(join(from, file), to)
                }
            }
            rmSync(scratch, { recursive: true, force: true })
            writeFileSync(completeMarker(dir), `${version}\n`)
            return dir
        },
        log
    )
}

if (require.main === module)
    ensureProtoSchema(line => console.log(`proto schema: ${line}`)).then(
        dir => console.log(`proto schema: ${STAGING_VERSION} in ${dir}`),
        e => {
            console.error(`proto schema: ${e.message}`)
            process.exit(1)
        }
    )
