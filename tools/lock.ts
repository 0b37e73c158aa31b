// Machine-wide locks: a directory (mkdir is atomic) holding the owner's pid.
// A lock whose owner died is taken over. Re-entrant within one process, and
// released when the process exits however it exits.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"

const held = new Map<string, number>()

function ownerOf(dir: string): number {
    try {
        return +readFileSync(join(dir, "pid"), "utf8") || 0
    } catch {
        return 0
    }
}

function alive(pid: number): boolean {
    try {
        process.kill(pid, 0)
        return true
    } catch {
        return false
    }
}

export interface LockOptions {
    /** Give up after this long (throws); default: wait as long as it takes. */
    timeoutMs?: number
    /** Called once, when the lock is found taken, with its owner's pid. */
    onWait?: (owner: number) => void
    /** What holds it, for the timeout's message. */
    what: string
}

export async function acquireLock(dir: string, opts: LockOptions): Promise<() => void> {
    const started = Date.now()
    let told = false
    while (!held.get(dir)) {
        try {
            mkdirSync(dir)
            writeFileSync(join(dir, "pid"), String(process.pid))
            break
        } catch (e: any) {
            if (e.code !== "EEXIST") throw e
            const owner = ownerOf(dir)
            // no pid yet: the owner may be between mkdir and writing it, so give it a moment
            if ((owner && !alive(owner)) || (!owner && Date.now() - started > 1000)) {
                rmSync(dir, { recursive: true, force: true })
                continue
            }
            if (!told) opts.onWait?.(owner)
            told = true
            if (opts.timeoutMs !== undefined && Date.now() - started > opts.timeoutMs)
                throw new Error(`${opts.what} holds ${dir} (pid ${owner}); waited ${opts.timeoutMs} ms`)
            await new Promise(r => setTimeout(r, 250))
        }
    }
    held.set(dir, (held.get(dir) ?? 0) + 1)
    let released = false
    return () => {
        if (released) return
        released = true
        const count = held.get(dir)! - 1
        if (count > 0) held.set(dir, count)
        else {
            held.delete(dir)
            rmSync(dir, { recursive: true, force: true })
        }
    }
}

process.on("exit", () => {
    for (const dir of held.keys()) rmSync(dir, { recursive: true, force: true })
})
