// The firmware as a file to publish: `devs build src/main.ts`, then the
// bytecode and what it says about itself.
//
// devs 2.16.4 writes .devicescript/bin/bytecode.devs (not built/): its
// -o/--out-dir option is declared without a value and crashes when given one,
// so the output cannot be moved. Other builds in the same tree (tests, other
// entry points) write the same files, so the build is checked to be ours:
// the debug file's SHA-256 must match the bytecode and its program name must be
// the package's (src/main.ts adds no entry-point suffix); otherwise it builds again.
import { createHash } from "node:crypto"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { run } from "../gobuild"
import { CLI } from "../simulator/devtools"
import { REPO } from "../simulator/project"

export interface Firmware {
    bytecode: Buffer
    /** Hex SHA-256 of the bytecode (the OCI layer digest without "sha256:"). */
    sha256: string
    /** The DeviceScript runtime version the bytecode needs, from its header (e.g. v2.16.4). */
    runtimeVersion: string
    /** The program version baked into the image (`@version`, as devs derives it from git and package.json). */
    firmwareVersion: string
    /** package.json's version. */
    packageVersion: string
    /**
     * org.opencontainers.image.created (ISO 8601 UTC): $SOURCE_DATE_EPOCH if set, else the
     * HEAD commit's time when the tree is clean (then the same commit pushes to the same
     * digest), else when the build finished (a dirty tree's bytecode carries the minute anyway).
     */
    builtAt: string
    /** The devs build's output. */
    buildLog: string
}

/** Where devs writes the bytecode of a build in `dir`. */
export const bytecodeFile = (dir: string) => join(dir, ".devicescript", "bin", "bytecode.devs")
export const BYTECODE_FILE = bytecodeFile(REPO)
const dbgFile = (dir: string) => join(dir, ".devicescript", "bin", "bytecode-dbg.json")

/** "DevS\n" + magic: the first 8 bytes of every DeviceScript image. */
const MAGIC = Buffer.from("446576530a6e29f1", "hex")

/** The image header's version word (offset 8, little-endian): major << 24 | minor << 16 | patch. */
export function runtimeVersionOf(bytecode: Buffer): string {
    if (bytecode.length < 12 || !bytecode.subarray(0, 8).equals(MAGIC)) throw new Error("not DeviceScript bytecode (bad magic)")
    const v = bytecode.readUInt32LE(8)
    return `v${v >>> 24}.${(v >>> 16) & 0xff}.${v & 0xffff}`
}

const utc = (d: Date) => d.toISOString().replace(/\.\d+Z$/, "Z")

async function createdTime(cwd: string): Promise<string> {
    const epoch = process.env.SOURCE_DATE_EPOCH
    if (epoch && /^\d+$/.test(epoch)) return utc(new Date(+epoch * 1000))
    // devs's own test for a dirty tree (its @version then carries the build's minute)
    const dirty = await run("git", ["status", "--porcelain", "--untracked-files=no", "--ignore-submodules=untracked"], { cwd })
    if (dirty.code === 0 && !dirty.output.trim()) {
        const head = await run("git", ["log", "-1", "--format=%ct"], { cwd })
        if (head.code === 0 && /^\d+$/.test(head.output.trim())) return utc(new Date(+head.output.trim() * 1000))
    }
    return utc(new Date())
}

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex")

/** The project to build: a copy of this repository's layout (tests build variants of the firmware that way). */
export interface FirmwareProject {
    /** Default this repository. */
    dir?: string
    /** Default src/main.ts. */
    entry?: string
}

/** Builds the firmware and reads the result; throws with the build's output when it fails. */
export async function buildFirmware(log: (line: string) => void = () => {}, project: FirmwareProject = {}): Promise<Firmware> {
    const dir = project.dir ?? REPO
    const entry = project.entry ?? "src/main.ts"
    const file = bytecodeFile(dir)
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"))
    for (let attempt = 1; ; attempt++) {
        log(`firmware: devs build ${entry}`)
        const r = await run(process.execPath, [CLI, "build", entry], { cwd: dir })
        if (r.code !== 0) throw new Error(`devs build ${entry} failed (exit ${r.code}):\n${r.output.trimEnd().split("\n").slice(-25).join("\n")}`)
        const builtAt = await createdTime(dir)
        const bytecode = readFileSync(file)
        const dbg = JSON.parse(readFileSync(dbgFile(dir), "utf8"))
        const hwInfo = dbg.localConfig?.hwInfo ?? {}
        // devs names a program after the package, and any entry point but src/main.ts after that too
        const name = entry === "src/main.ts" ? pkg.name : `${pkg.name} ${entry.replace(/\.ts$/, "")}`
        const ours = dbg.binarySHA256 === sha256(bytecode) && hwInfo["@name"] === name
        if (!ours) {
            if (attempt >= 3) throw new Error(`another build kept overwriting ${file} (found ${hwInfo["@name"]}); try again`)
            log(`firmware: ${file} was overwritten by another build (${hwInfo["@name"]}); building again`)
            continue
        }
        return {
            bytecode,
            sha256: sha256(bytecode),
            runtimeVersion: runtimeVersionOf(bytecode),
            firmwareVersion: hwInfo["@version"] ?? pkg.version,
            packageVersion: pkg.version,
            builtAt,
            buildLog: r.output,
        }
    }
}
