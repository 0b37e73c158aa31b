import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

// devtools' ports are fixed, so simulator sessions on one machine take turns:
// a lock directory (mkdir is atomic) holding the owner's pid. A lock whose
// owner died is taken over.
const LOCK = join(tmpdir(), "picokubelet-devtools.lock")

function ownerAlive(): boolean {
    try {
        const pid = +readFileSync(join(LOCK, "pid"), "utf8")
        if (!pid) return false
        process.kill(pid, 0)
        return true
    } catch {
        return false
    }
}

let held = 0

export async function acquireDevtoolsLock(timeoutMs: number): Promise<() => void> {
    const deadline = Date.now() + timeoutMs
    while (!held) {
        try {
            mkdirSync(LOCK)
            writeFileSync(join(LOCK, "pid"), String(process.pid))
            break
        } catch (e: any) {
            if (e.code !== "EEXIST") throw e
            // the owner may be between mkdir and writing its pid: give it a moment
            if (!ownerAlive() && Date.now() > deadline - timeoutMs + 1000) {
                rmSync(LOCK, { recursive: true, force: true })
                continue
            }
            if (Date.now() > deadline)
                throw new Error(`another simulator session holds ${LOCK} (npm start running?); waited ${timeoutMs} ms`)
            await new Promise(r => setTimeout(r, 250))
        }
    }
    held++
    let released = false
    return () => {
        if (released) return
        released = true
        if (--held === 0) rmSync(LOCK, { recursive: true, force: true })
    }
}

process.on("exit", () => {
    if (held) rmSync(LOCK, { recursive: true, force: true })
})
