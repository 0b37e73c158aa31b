// What the simulator's preloads (board-gc.cjs, heap-dump-hook.cjs) share: each DeviceScript VM
// this process instantiates, its wasm memory and the lines its runtime writes to dmesg. One
// wrapper of WebAssembly.instantiate serves every preload that asks, in the order they ask.
"use strict"

/** @type {Array<(vm: DevsVm) => void>} */
const setups = []
/** Every DeviceScript VM instantiated so far. */
const vms = []

/**
 * @typedef {object} DevsVm
 * @property {WebAssembly.Memory | undefined} memory  set once the VM is instantiated
 * @property {(fn: (line: string) => void) => void} onDmesg  fn sees each dmesg line before the runtime prints it
 * @property {(fn: (code: number) => void) => void} onPanic  fn sees each panic before the runtime's handler
 */

/** A NUL-terminated line in wasm memory (dmesg lines are short; 200 bytes is more than any). */
function cString(memory, ptr) {
    const mem = new Uint8Array(memory.buffer)
    let end = ptr
    while (end < mem.length && end - ptr < 200 && mem[end]) end++
    return Buffer.from(mem.subarray(ptr, end)).toString("latin1")
}

function wrap() {
    const instantiate = WebAssembly.instantiate
    WebAssembly.instantiate = async function (source, imports, ...rest) {
        const env = imports && imports.env
        // only DeviceScript's VM imports these (the CLI instantiates other wasm too)
        if (!env || typeof env._devs_panic_handler !== "function" || typeof env.em_print_dmesg !== "function")
            return instantiate.call(this, source, imports, ...rest)
        const dmesgFns = []
        const panicFns = []
        const vm = { memory: undefined, onDmesg: fn => dmesgFns.push(fn), onPanic: fn => panicFns.push(fn) }
        setups.forEach(setup => setup(vm))
        const dmesg = env.em_print_dmesg
        env.em_print_dmesg = function (ptr, ...args) {
            if (vm.memory && dmesgFns.length) {
                const line = cString(vm.memory, ptr)
                dmesgFns.forEach(fn => fn(line))
            }
            return dmesg.call(this, ptr, ...args)
        }
        const panic = env._devs_panic_handler
        env._devs_panic_handler = function (code, ...args) {
            panicFns.forEach(fn => fn(code))
            return panic.call(this, code, ...args)
        }
        const result = await instantiate.call(this, source, imports, ...rest)
        const instance = result.instance || result
        if (instance.exports && instance.exports.memory instanceof WebAssembly.Memory) {
            vm.memory = instance.exports.memory
            vms.push(vm)
        }
        return result
    }
}

/** Calls setup(vm) for each DeviceScript VM, before it runs. */
function onDevsVm(setup) {
    if (!setups.length) wrap()
    setups.push(setup)
}

module.exports = { onDevsVm, vms }
