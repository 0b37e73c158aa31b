import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"

export const REPO = resolve(__dirname, "../..")

export type Settings = Record<string, string | number | boolean | undefined>

// DeviceScript's deploy reads .env.defaults and .env.local from the directory
// devtools runs in. A scratch project that links the repo's sources and writes
// its own .env.local deploys settings through the users' path while leaving
// the user's .env.local untouched.
const LINKED = ["src", "boards", "services", "node_modules", "devsconfig.json", "package.json", ".env.defaults", "test"]

/** .env text; values are written as DeviceScript's reader expects them. */
export function envText(settings: Settings): string {
    return Object.entries(settings)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => {
            const text = String(v)
            if (text.includes("#") || text.includes("\n"))
                throw new Error(`setting ${k}: DeviceScript's .env reader cannot carry '#' or newlines`)
            return `${k}=${text}`
        })
        .join("\n") + "\n"
}

/** Parses a .env file the way DeviceScript does (comments, KEY=VALUE). */
export function readEnvFile(path: string): Settings {
    if (!existsSync(path)) return {}
    const out: Settings = {}
    for (const line of readFileSync(path, "utf8").split(/\r?\n/)) {
        if (/^\s*#/.test(line)) continue
        const m = /^([^=]+)=([^#]*)/.exec(line)
        if (m) out[m[1].trim()] = m[2].trim()
    }
    return out
}

export interface ScratchProject {
    dir: string
    remove(): void
}

export function makeScratchProject(settings: Settings): ScratchProject {
    const dir = mkdtempSync(join(tmpdir(), "picokubelet-sim-"))
    for (const name of LINKED) {
        const target = join(REPO, name)
        if (existsSync(target)) symlinkSync(target, join(dir, name))
    }
    const project = { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
    writeProjectSettings(project, settings)
    return project
}

/** The settings the next deploy from this project carries. */
export function writeProjectSettings(project: ScratchProject, settings: Settings) {
    writeFileSync(join(project.dir, ".env.local"), envText(settings), { mode: 0o600 })
}
