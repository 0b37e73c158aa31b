import { mkdtempSync, readFileSync, rmSync, symlinkSync, existsSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"

export const REPO = resolve(__dirname, "../..")

export type Settings = Record<string, string | number | boolean | undefined>

// devtools and the compiler run in a scratch project that links the repo's
// sources; a deploy writes the repo's .env.defaults and the board's own
// settings to the board (deploy.ts), leaving the user's .env.local untouched.
const LINKED = ["src", "boards", "services", "node_modules", "devsconfig.json", "package.json", ".env.defaults", "test"]

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

export function makeScratchProject(): ScratchProject {
    const dir = mkdtempSync(join(tmpdir(), "picokubelet-sim-"))
    for (const name of LINKED) {
        const target = join(REPO, name)
        if (existsSync(target)) symlinkSync(target, join(dir, name))
    }
    return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}
