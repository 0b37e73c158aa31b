import { ChildProcess } from "node:child_process"
import { createConnection } from "node:net"
import WebSocket from "ws"
import { eachLine, startChild, stopChild } from "./children"
import { acquireDevtoolsLock } from "./lock"
import { REPO } from "./project"

// devtools listens on fixed ports (DeviceScript hard-codes them): one
// simulator session at a time on a machine.
export const DEVTOOLS_PORTS = { ws: 8081, tcp: 8082, dbg: 8083 }
export class DeployTimeout extends Error {}

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
    socket: WebSocket
    /** Builds `entry` in the project and deploys it with the project's settings to one device. */
    deploy(entry: string, deviceId: string): Promise<void>
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
    const socket = new WebSocket(`ws://127.0.0.1:${DEVTOOLS_PORTS.ws}`)
    await new Promise<void>((resolve, reject) => {
        socket.once("open", () => resolve())
        socket.once("error", reject)
    })

    let seq = 0
    const pending = new Map<number, (data: any) => void>()
    socket.on("message", (data, isBinary) => {
        if (isBinary) return // Jacdac frames: not ours
        const msg = JSON.parse(data.toString())
        if (msg.resp !== undefined && pending.has(msg.seq)) {
            pending.get(msg.seq)!(msg)
            pending.delete(msg.seq)
        }
    })
    const request = (req: string, data: any, timeoutMs: number) =>
        new Promise<any>((resolve, reject) => {
            const id = ++seq
            const timer = setTimeout(() => {
                pending.delete(id)
                reject(new Error(`devtools did not answer '${req}' within ${timeoutMs} ms`))
            }, timeoutMs)
            pending.set(id, msg => {
                clearTimeout(timer)
                resolve(msg)
            })
            socket.send(JSON.stringify({ req, seq: id, data }))
        })

    return {
        process: child,
        socket,
        /** One deploy; a `DeployTimeout` when the VM missed the 3 s Jacdac deadline of a deploy command. */
        async deploy(entry: string, deviceId: string) {
            const msg = await request("build", { filename: entry, deployTo: deviceId, buildOptions: {} }, 60000)
            if (msg.resp === "error") throw new Error(`devtools build failed: ${msg.data?.message}`)
            const st = msg.data
            if (!st.success)
                throw new Error(`build of ${entry} failed:\n${(st.diagnostics || []).map((d: any) => d.formatted).join("\n")}`)
            if (st.deployStatus === "OK") return
            if (/timeout/.test(st.deployStatus)) throw new DeployTimeout(`deploy of ${entry} timed out: ${st.deployStatus}`)
            throw new Error(`deploy of ${entry} failed: ${st.deployStatus}`)
        },
        async stop() {
            socket.close()
            await stopChild(child)
            release()
        },
    }
}
