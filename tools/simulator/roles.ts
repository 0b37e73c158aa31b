import { CMD_SET_REG, fromHex, JDBus, jdpack, Packet, RoleManagerCmd, RoleManagerReg, SRV_ROLE_MANAGER } from "jacdac-ts"

// With several boards on one bus, a program's Platform role binds to
// whichever platform service its VM finds first, maybe another board's: its
// address, its heap and its cable would be someone else's (and through its
// Updater role, another board would be flashed). After a deploy the roles
// are bound by hand, with the VM's Role Manager set_role, to the services
// this process serves for the board.
//
// The role's name is the one the compiler gives `new ds.PicokubeletPlatform()`
// (read once with list_roles). list_roles itself is not used here: its
// replies are 136-byte frames that devtools relays with a bad CRC when
// several VMs share the bus (measured). set_role is small, idempotent and
// ignored until the program has created the role: the caller sends it from
// the program's "config:" line on (the role is created right after it and
// first read a second later). Then the VM's auto-binding is turned off, or
// it may move the role again when another board's platform service appears
// (jacdac-c's role manager unbinds a role whose device was lost, e.g. a late
// announce on a loaded machine, and auto-binds it to the first free one:
// a cable pulled on board 2 showed on board 1 too); but only
// once the program's socket is open, since auto-binding is what binds the
// socket's role (measured: with it off at "config:", no board connected).
// The host repeats set_role every few seconds, so a role unbound by a lost
// device is bound to its own again. Whether it took is read from the
// firmware's log: its "platform:" line names the board's own address.
// The Led role ("Led_0[app:0]", bound to a server the program hosts) does not
// take set_role (measured: the binding stays): with several boards the rack
// shows each LED from the pattern its firmware logs, not from the pixels.

/** A service this process serves for one board, and the role of the board's program that must bind it. */
export interface OwnService {
    deviceId: string
    serviceClass: number
    /** The name the compiler gives the role, e.g. "PicokubeletPlatform0" for `new ds.PicokubeletPlatform()`. */
    role: string
}

export const PLATFORM_ROLE = "PicokubeletPlatform0"
export const UPDATER_ROLE = "PicokubeletUpdater0"
const TRIES = 8
const EVERY_MS = 250

async function send(bus: JDBus, vmDeviceId: string, packet: Packet) {
    const manager = bus.device(vmDeviceId, true)?.services({ serviceClass: SRV_ROLE_MANAGER })[0]
    if (manager) await manager.sendPacketAsync(packet, true).catch(() => {})
}

/**
 * set_role of each role to its own service. jacdac-c finds the role's name
 * length as the payload size minus sizeof its command struct, which is 9
 * bytes packed and 16 padded: both forms are sent, and the one that does not
 * match names no role and is ignored.
 */
export async function setRoles(bus: JDBus, vmDeviceId: string, own: OwnService[]) {
    for (const o of own) {
        const target = bus.device(o.deviceId, true)?.services({ serviceClass: o.serviceClass })[0]
        if (!target) continue
        for (const pad of [0, 7]) {
            const payload = jdpack<[Uint8Array, number, string]>("b[8] u8 s", [fromHex(o.deviceId), target.serviceIndex, o.role])
            const padded = new Uint8Array(payload.length + pad)
            padded.set(payload)
            await send(bus, vmDeviceId, Packet.from(RoleManagerCmd.SetRole, padded))
        }
    }
}

/** set_role a few times while the program creates the roles. */
export async function bindOwn(bus: JDBus, vmDeviceId: string, own: OwnService[]) {
    for (let i = 0; i < TRIES; i++) {
        await setRoles(bus, vmDeviceId, own)
        await new Promise(r => setTimeout(r, EVERY_MS))
    }
}

/** Auto-binding off, once every role the program needs is bound (its socket's among them). */
export async function stopAutoBinding(bus: JDBus, vmDeviceId: string) {
    await send(bus, vmDeviceId, Packet.from(CMD_SET_REG | RoleManagerReg.AutoBind, new Uint8Array([0])))
}

/** Auto-binding on again, before a new program creates its roles. */
export async function startAutoBinding(bus: JDBus, vmDeviceId: string) {
    await send(bus, vmDeviceId, Packet.from(CMD_SET_REG | RoleManagerReg.AutoBind, new Uint8Array([1])))
}
