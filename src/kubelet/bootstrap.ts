import { Phase } from "../led/status"
import { Kubelet } from "./kubelet"
import { retryForever } from "./retry"
import { anchorClock, createLease, postStatus, registerNode } from "./steps"

/**
 * Anchor the clock, register the Node, create the Lease, push an initial
 * status so every condition has a fresh heartbeat. The LED shows Connecting
 * throughout; Healthy waits for the first lease renewal.
 */
export async function bootstrap(k: Kubelet) {
    k.led.phase = Phase.Connecting
    const unreachable = () => k.updateReachability()
    await retryForever("anchoring the clock", async () => await anchorClock(k), unreachable)
    await retryForever("registering the node", async () => await registerNode(k), unreachable)
    await retryForever("creating the lease", async () => await createLease(k), unreachable)
    await retryForever(
        "posting the initial status",
        async () => {
            k.refreshConditions()
            await postStatus(k, "initial")
        },
        unreachable
    )
    k.updateReachability()
    k.led.phase = Phase.Running
}
