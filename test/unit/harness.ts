import * as ds from "@devicescript/core"
import { beforeEach, describe as dsDescribe } from "@devicescript/test"

export { test, expect } from "@devicescript/test"

/**
 * describe() whose tests each start on a fresh fiber slice: the runner calls
 * synchronous tests back to back without yielding, and the VM's opcode
 * watchdog (128k per slice) would otherwise end the run with InfiniteLoop.
 */
export function describe(name: string, body: () => void) {
    dsDescribe(name, () => {
        beforeEach(async () => {
            await ds.sleep(1)
        })
        body()
    })
}
