import { ChildProcess } from "node:child_process"
import { createConnection } from "node:net"
import { eachLine, startChild, stopChild } from "./children"
import { acquireDevtoolsLock } from "./lock"
import { REPO } from "./project"

// devtools listens on fixed ports (DeviceScript hard-codes them): one
// simulator session at a time on a machine.
export const DEVTOOLS_PORTS = { ws: 8081, tcp: 8082, dbg: 8083 }

export const CLI = `${REPO}/node_modules/@devicescript/cli/built/devicescript-cli.cjs`

function portInUse(port: number): Promise<boolean> {
    return new Promise(resolve => {
        const sock = createConnection({ port, host: "127.0.0.1" })
        sock.once("connect", () => {
            sock.destroy()
            resolve(true)
        })
        sock.once("error", () => resolve(false))
    })
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
        const v = await probe()
        if (v !== undefined) return v
        await new Promise(r => setTimeout(r, 100))
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
}

export interface DevtoolsSession {
    process: ChildProcess
    stop(): Promise<void>
}

export async function startDevtools(projectDir: string, onLine: (line: string) => void): Promise<DevtoolsSession> {
    const release = await acquireDevtoolsLock(10 * 60 * 1000)
    try {
        return await launch(projectDir, onLine, release)
    } catch (e) {
        release()
        throw e
    }
}

async function launch(projectDir: string, onLine: (line: string) => void, release: () => void): Promise<DevtoolsSession> {
    for (const port of Object.values(DEVTOOLS_PORTS))
        if (await portInUse(port))
            throw new Error(
                `port ${port} is taken: another devtools (npm start, a test run) is running; stop it first`
            )
    const child = startChild(process.execPath, [CLI, "devtools"], { cwd: projectDir })
    eachLine(child.stdout!, onLine)
    eachLine(child.stderr!, onLine)
    let exited = false
    child.once("exit", () => (exited = true))
    await waitFor("devtools to listen", 30000, async () => {
        if (exited) throw new Error("devtools exited during start-up")
        return (await portInUse(DEVTOOLS_PORTS.ws)) && (await portInUse(DEVTOOLS_PORTS.tcp)) ? true : undefined
    })
    return {
        process: child,
        async stop() {
            await stopChild(child)
            release()
        },
    }
}
