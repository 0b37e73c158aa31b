// Building a program and deploying it into a simulated board, the way `devs`
// does, from this process's Jacdac bus rather than from inside devtools.
//
// Why not devtools' own build-and-deploy: devtools compiles in its event loop,
// 3-5 s for this firmware, and hears nothing from the bus meanwhile. When it
// wakes, its bus drops every device not heard from for 3 s (jacdac-ts'
// JD_DEVICE_DISCONNECTED_DELAY), the VM it is deploying to among them, and
// the VM's answer to DeployBytecode reaches a new device object while the
// deploy waits on the old one: measured, nearly every first deploy to a fresh
// VM timed out and was retried on another VM, 9 s more per boot. Compiled in a
// child process, once per entry (settings are not part of the bytecode), no
// process on the bus stops listening.
import { execFile } from "node:child_process"
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { promisify } from "node:util"
import {
    DeviceScriptManagerCmd,
    DeviceScriptManagerReg,
    isTimeoutError,
    JDService,
    OutPipe,
    SettingsClient,
    SRV_SETTINGS,
} from "jacdac-ts"
import { CLI } from "./devtools"
import { readEnvFile, Settings } from "./project"

/** The VM missed the 3 s Jacdac deadline of a deploy command. */
export class DeployTimeout extends Error {}

/** A compiled program: its bytecode, and the debug info that names its functions and source lines. */
export interface Program {
    bytecode: Uint8Array
    debugInfo: string
}

const BIN = join(".devicescript", "bin")

/** Compiles `entry` in `projectDir` with the DeviceScript compiler (it writes to the project's .devicescript/bin). */
async function build(projectDir: string, entry: string): Promise<Program> {
    await promisify(execFile)(process.execPath, [CLI, "build", entry], { cwd: projectDir, maxBuffer: 16 << 20 }).catch(e => {
        throw new Error(`build of ${entry} failed:\n${e.stdout ?? ""}${e.stderr ?? ""}`)
    })
    return {
        bytecode: new Uint8Array(readFileSync(join(projectDir, BIN, "bytecode.devs"))),
        debugInfo: readFileSync(join(projectDir, BIN, "bytecode-dbg.json"), "utf8"),
    }
}

const builds = new Map<string, Promise<Program>>()

/**
 * `entry` compiled once per process: a scratch project links the repo's
 * sources, which do not change while a test or a bench runs, and settings
 * are not part of the bytecode. One build at a time: the compiler also writes
 * DeviceScript's libraries into the shared node_modules.
 */
export function compiled(projectDir: string, entry: string): Promise<Program> {
    let b = builds.get(entry)
    if (!b) {
        b = Promise.all(builds.values())
            .catch(() => {})
            .then(() => build(projectDir, entry))
        // a failed build is not kept: the next deploy tries again
        b.catch(() => builds.delete(entry))
        builds.set(entry, b)
    }
    return b
}

/**
 * Puts a program's debug info where a VM started in `projectDir` reads it,
 * once, as it starts: the program's exceptions then name their functions and
 * source lines.
 */
export function placeDebugInfo(projectDir: string, program: Program) {
    mkdirSync(join(projectDir, BIN), { recursive: true })
    writeFileSync(join(projectDir, BIN, "bytecode-dbg.json"), program.debugInfo)
}

/**
 * A setting as devs writes it to the device: the JSON of the value its text
 * parses to as JSON, else of the text itself, in UTF-8; undefined for an
 * empty text (devs deletes the key).
 */
export function settingValue(text: string): Uint8Array | undefined {
    if (!text.length) return undefined
    let v: unknown = text
    try {
        v = JSON.parse(text)
    } catch {
        // not JSON: the text is the value
    }
    return new TextEncoder().encode(JSON.stringify(v))
}

/**
 * What a deploy from `projectDir` writes: its .env.defaults, then the board's
 * own settings over them (devs reads .env.local there). Wi-Fi credentials are
 * not settings: devs hands them to a Wi-Fi service, which the simulator has not.
 */
export function deployedSettings(projectDir: string, own: Settings): Map<string, Uint8Array | undefined> {
    // a setting left undefined is not in .env.local: its default stands
    const all: Settings = { ...readEnvFile(join(projectDir, ".env.defaults")) }
    for (const [k, v] of Object.entries(own)) if (v !== undefined) all[k] = v
    const out = new Map<string, Uint8Array | undefined>()
    for (const [k, v] of Object.entries(all)) {
        if (k === "WIFI_SSID" || k === "WIFI_PWD") continue
        const text = String(v)
        // what a user's .env file cannot hold, a simulated board is not given either
        if (text.includes("#") || text.includes("\n")) throw new Error(`setting ${k}: DeviceScript's .env reader cannot carry '#' or newlines`)
        out.set(k, settingValue(text))
    }
    return out
}

/**
 * Deploys `bytecode` to a VM's DeviceScript manager as devs does: autostart
 * and the program off, the bytecode through the manager's pipe, the settings
 * (when given) to the VM's settings service, then autostart as it was and the
 * program on.
 */
export async function deployProgram(manager: JDService, bytecode: Uint8Array, settings?: Map<string, Uint8Array | undefined>) {
    const autostart = manager.register(DeviceScriptManagerReg.Autostart)
    const running = manager.register(DeviceScriptManagerReg.Running)
    try {
        await autostart.refresh()
        const was = autostart.boolValue
        await autostart.sendSetBoolAsync(false)
        await running.sendSetBoolAsync(false)
        await OutPipe.sendBytes(manager, DeviceScriptManagerCmd.DeployBytecode, bytecode)
        if (settings) {
            const store = manager.device.services({ serviceClass: SRV_SETTINGS })[0]
            if (!store) throw new Error(`${manager.device} has no settings service`)
            const client = new SettingsClient(store)
            // undefined deletes the key
            for (const [key, value] of settings) await client.setValue(key, value)
        }
        if (was !== undefined) await autostart.sendSetBoolAsync(was)
        await running.sendSetBoolAsync(true)
    } catch (e: any) {
        if (isTimeoutError(e)) throw new DeployTimeout(`deploy to ${manager.device} timed out: ${e.message}`)
        throw e
    }
}
