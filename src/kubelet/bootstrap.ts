import { Stage } from "../led/status"
import { Kubelet } from "./kubelet"
import { retryForever } from "./retry"

/**
 * Anchor the clock, register the Node, create the Lease, push an initial
 * status so every condition has a fresh heartbeat. The LED shows Connecting
 * throughout; Healthy waits for the first lease renewal.
 */
export async function bootstrap(k: Kubelet) {
    k.led.stage = Stage.Connecting
    const unreachable = () => k.updateReachability()
    const retry = async (what: string, step: () => Promise<void>) => await retryForever(what, step, k.timer, k.random, unreachable)
    await retry("anchoring the clock", async () => await k.anchorClock())
    await retry("registering the node", async () => await k.registerNode())
    await retry("creating the lease", async () => await k.createLease())
    await retry("posting the initial status", async () => {
        k.refreshConditions()
        await k.postStatus("initial")
    })
    k.updateReachability()
    k.led.stage = Stage.Running
}
