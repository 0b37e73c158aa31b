import * as ds from "@devicescript/core"
import { awaitValidConfig } from "../settings/read"
import { describeConfig } from "../settings/settings"
import { FetchFn, KubeApi } from "../k8s/api"
import { startLedFiber } from "../led/fiber"
import { SELF_TEST_MS } from "../led/patterns"
import { LedStatus } from "../led/status"
import { HttpClient } from "../net"
import { Netif } from "../net/netif"
import { runLeaseReconciler } from "../reconcilers/lease"
import { runStatusReconciler } from "../reconcilers/status"
import { bootstrap } from "./bootstrap"
import { nodeIdentity } from "./identity"
import { Kubelet } from "./kubelet"

/** How long to wait for an address before registering without one. */
const ADDRESS_WAIT_MS = 10000

export interface RunOptions {
    /** Lets a test firmware wrap every API call, e.g. to inject exceptions. */
    wrapFetch?: (f: FetchFn) => FetchFn
}

/** The whole program: LED, settings, network, bootstrap, then the fibers. */
export async function runKubelet(opts: RunOptions = {}) {
    const led = new LedStatus(ds.millis())
    await startLedFiber(led)
    // the self-test comes before anything else, as on any device that boots
    await ds.sleep(SELF_TEST_MS)

    const config = await awaitValidConfig(() => (led.settingsInvalid = true))
    led.settingsInvalid = false
    console.log(`config: ${describeConfig(config)}`)

    const netif = new Netif()
    netif.start(s => (led.linkDown = !s.linkUp))
    const address = await waitForAddress(netif, config.nodeIP)

    const client = new HttpClient({ host: config.host, port: config.port, tls: config.tls, token: config.token })
    const fetchFn: FetchFn = async (path, init) => await client.fetch(path, init)
    const api = new KubeApi(opts.wrapFetch ? opts.wrapFetch(fetchFn) : fetchFn, ds.millis, async () => await client.drop())
    const identity = await nodeIdentity(config, address)
    const k = new Kubelet(config, api, led, netif, identity, () => client.counters.connections)

    await bootstrap(k)
    // each reconciler is its own fiber; neither returns
    runLeaseReconciler.start(k)
    runStatusReconciler.start(k)
}

/**
 * The InternalIP: the network layer's address (Ethernet, Wi-Fi, or the
 * simulated netif); NODE_IP only when no platform service answers.
 */
async function waitForAddress(netif: Netif, fallback: string): Promise<string> {
    const deadline = ds.millis() + ADDRESS_WAIT_MS
    while (ds.millis() < deadline) {
        if (netif.snapshot.ip) return netif.snapshot.ip
        await ds.sleep(200)
    }
    if (fallback) return fallback
    console.error("netif: no address from the network layer and NODE_IP is not set; registering without InternalIP")
    return ""
}
