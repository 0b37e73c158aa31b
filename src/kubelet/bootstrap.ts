import { describeFailure, replyStatus } from "../k8s/api"
import { nodeSubject } from "../k8s/events"
import { Stage } from "../led/status"
import { Kubelet } from "./kubelet"
import { retryForever } from "./retry"

/**
 * Anchor the clock, register the Node, create the Lease, push an initial
 * status so every condition has a fresh heartbeat; the node's Starting,
 * memory and NodeReady events, as a kubelet posts them. The LED shows Connecting
 * throughout (Warning while the credential is refused); Healthy waits for
 * the first lease renewal.
 */
export async function bootstrap(k: Kubelet) {
    k.led.stage = Stage.Connecting
    // a refused token or missing RBAC is the user's to fix: say so once, show Warning
    const failed = (e: any) => {
        const status = replyStatus(e)
        const refused = status === 401 || status === 403
        if (refused && !k.led.credentialRefused)
            console.error(`kubelet: credential refused (${describeFailure(e)}); check K3S_TOKEN and the RBAC in deploy/`)
        k.led.credentialRefused = refused
        k.updateReachability()
    }
    const retry = async (what: string, step: () => Promise<void>) => {
        await retryForever(what, step, k.timer, k.random, failed)
        k.led.credentialRefused = false
    }
    await retry("anchoring the clock", k.anchorClock)
    await retry("registering the node", k.registerNode)
    await retry("creating the lease", k.createLease)
    await k.postEvent(nodeSubject(k.config.nodeName), "Normal", "Starting", "Starting kubelet.")
    await retry("posting the initial status", async () => {
        k.refreshConditions()
        await k.postStatus("initial")
    })
    await k.announceNode()
    k.updateReachability()
    k.led.stage = Stage.Running
}
