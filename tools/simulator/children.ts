import { ChildProcess, spawn, SpawnOptions } from "node:child_process"

// Every process the launcher starts is the leader of its own process group, so
// stopping it also stops whatever it spawned. A synchronous exit hook kills
// what is left when a test run ends abruptly (failure, timeout, Ctrl-C).

const live = new Set<ChildProcess>()

function killGroup(child: ChildProcess, signal: NodeJS.Signals) {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
    try {
        process.kill(-child.pid, signal)
    } catch {
        // already gone
    }
}

process.on("exit", () => {
    for (const child of live) killGroup(child, "SIGKILL")
})

export function startChild(command: string, args: string[], options: SpawnOptions): ChildProcess {
    const child = spawn(command, args, { ...options, detached: true, stdio: ["ignore", "pipe", "pipe"] })
    live.add(child)
    child.on("exit", () => live.delete(child))
    return child
}

/** Stops a child's whole group: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 2000): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) {
        live.delete(child)
        return
    }
    const exited = new Promise<void>(resolve => child.once("exit", () => resolve()))
    killGroup(child, "SIGTERM")
    const timer = setTimeout(() => killGroup(child, "SIGKILL"), graceMs)
    await exited
    clearTimeout(timer)
    // a grandchild may outlive its leader: sweep the group
    killGroup(child, "SIGKILL")
    live.delete(child)
}

/** Calls `onLine` for each complete line the stream writes. */
export function eachLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void) {
    let pending = ""
    stream.setEncoding("utf8")
    stream.on("data", (chunk: string) => {
        pending += chunk
        let nl: number
        while ((nl = pending.indexOf("\n")) >= 0) {
            onLine(pending.slice(0, nl).replace(/\r$/, ""))
            pending = pending.slice(nl + 1)
        }
    })
    stream.on("end", () => {
        if (pending) onLine(pending)
        pending = ""
    })
}
