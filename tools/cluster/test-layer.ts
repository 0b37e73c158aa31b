// The "real control plane" test layer: finds or builds the binaries (with
// progress), then runs test/real/ with node:test. Without binaries and without
// Go it says SKIPPED and why; under CI a skip fails the run.
import { spawn } from "node:child_process"
import { existsSync, readdirSync } from "node:fs"
import { join } from "node:path"
import { REPO } from "../simulator/project"
import { ensureBinaries, requestedVersion } from "./binaries"

async function main() {
    const ensured = await ensureBinaries(requestedVersion(), line => console.log(`real control plane: ${line}`))
    if ("skipped" in ensured) {
        console.log(`real control plane: SKIPPED (${ensured.skipped})`)
        process.exit(process.env.CI === "true" ? 1 : 0)
    }
    const { version, binaries } = ensured.resolved
    console.log(`real control plane: ${version}, kube-apiserver ${binaries["kube-apiserver"]}`)
    const dir = join(REPO, "test", "real")
    const files = existsSync(dir) ? readdirSync(dir).filter(f => f.endsWith(".test.ts")).sort().map(f => join("test", "real", f)) : []
    // one simulator at a time (fixed devtools ports), so one file at a time
    const child = spawn(process.execPath, ["--import", "tsx", "--test", "--test-concurrency=1", ...files], {
        cwd: REPO,
        stdio: "inherit",
        env: { ...process.env, PICOKUBELET_K8S_VERSION: version === "as found" ? requestedVersion() : version },
    })
    child.on("close", code => process.exit(code ?? 1))
}

main().catch(e => {
    console.error(`real control plane: ${e.message}`)
    process.exit(1)
})
