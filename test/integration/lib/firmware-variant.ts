import { cpSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { run } from "../../../tools/gobuild"
import { buildFirmware, Firmware } from "../../../tools/registry/firmware"
import { REPO } from "../../../tools/simulator/project"

// Another version of the firmware, as a user's next release would be: this
// repository's sources in a project of their own, committed and tagged
// v<version> so devs stamps that version into the image. `entry` builds one
// of the test firmwares instead (one that panics, one that never renews).

const COPIED = ["src", "services", "boards", "devsconfig.json", "test/integration/firmware"]

export async function buildFirmwareVariant(version: string, entry = "src/main.ts"): Promise<Firmware> {
    const dir = mkdtempSync(join(tmpdir(), `picokubelet-v${version}-`))
    for (const p of COPIED) cpSync(join(REPO, p), join(dir, p), { recursive: true })
    const pkg = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8"))
    writeFileSync(join(dir, "package.json"), JSON.stringify({ ...pkg, version }, null, 2))
    symlinkSync(join(REPO, "node_modules"), join(dir, "node_modules"))
    writeFileSync(join(dir, ".gitignore"), "node_modules\n.devicescript\n")
    const git = async (...args: string[]) => {
        const r = await run("git", ["-c", "user.name=picokubelet tests", "-c", "user.email=tests@picokubelet.invalid", ...args], { cwd: dir })
        if (r.code !== 0) throw new Error(`git ${args.join(" ")} in ${dir}: ${r.output}`)
    }
    await git("init", "-q")
    await git("add", "-A")
    await git("commit", "-q", "-m", `v${version}`)
    await git("tag", `v${version}`)
    return buildFirmware(() => {}, { dir, entry })
}
