import * as ds from "@devicescript/core"
import { FetchFn, KubeApi } from "../k8s/api"
import { startLedFiber } from "../led/fiber"
import { SELF_TEST_MS } from "../led/patterns"
import { LedStatus } from "../led/status"
import { HttpClient } from "../net"
import { PlatformMonitor } from "../platform/monitor"
import { FirmwareReconciler, OpenRegistry } from "../reconcilers/firmware"
import { LeaseReconciler } from "../reconcilers/lease"
import { PodReconciler } from "../reconcilers/pods"
import { StatusReconciler } from "../reconcilers/status"
import { awaitValidConfig } from "../settings/read"
import { describeConfig } from "../settings/settings"
import { Timer } from "../time/timer"
import { bootstrap } from "./bootstrap"
import { nodeIdentity } from "./identity"
import { Kubelet } from "./kubelet"

/** How long to wait for an address before registering without one. */
const ADDRESS_WAIT_MS = 10000

export interface RunOptions {
    /** Lets a test firmware wrap every API call, e.g. to inject exceptions. */
    wrapFetch?: (f: FetchFn) => FetchFn
}

const deviceTimer: Timer = { now: ds.millis, sleep: ds.sleep }

/** The whole program: LED, settings, network, bootstrap, then the fibers. */
export async function runKubelet(opts: RunOptions = {}) {
    const led = new LedStatus(ds.millis())
    await startLedFiber(led)
    // the self-test comes before anything else, as on any device that boots
    await ds.sleep(SELF_TEST_MS)

    const config = await awaitValidConfig(() => (led.settingsInvalid = true))
    led.settingsInvalid = false
    console.log(`config: ${describeConfig(config)}`)

    const platform = new PlatformMonitor()
    platform.start(s => (led.linkDown = !s.linkUp))
    const address = await waitForAddress(platform, config.nodeIP)

    const client = new HttpClient({ host: config.host, port: config.port, tls: config.tls, token: config.token })
    // DeviceScript binds a method to its object when it is read: methods are
    // passed as they are, no wrapper closure each (here and in bootstrap)
    const fetchFn: FetchFn = client.fetch
    const api = new KubeApi(opts.wrapFetch ? opts.wrapFetch(fetchFn) : fetchFn, ds.millis, client.drop)
    const k = new Kubelet({
        config,
        api,
        led,
        platform,
        identity: await nodeIdentity(config, address),
        connectionsOpened: () => client.counters.connections,
        timer: deviceTimer,
        random: Math.random,
    })

    await bootstrap(k)
    // each reconciler is its own fiber; none returns
    const status = new StatusReconciler(k)
    const lease = new LeaseReconciler(k, status.requestPost)
    lease.run.start()
    status.run.start()
    new PodReconciler(k).run.start()
    // the registry shares the API server's queue and socket: one socket at a time
    const openRegistry: OpenRegistry = ref => new HttpClient({ host: ref.host, port: ref.port, tls: ref.tls, shareWith: client }).fetch
    new FirmwareReconciler(k, new ds.PicokubeletUpdater(), openRegistry, status.requestPost).run.start()
}

/**
 * The InternalIP: the platform's address (Ethernet, Wi-Fi, or the simulated
 * interface); NODE_IP only when no platform service answers.
 */
async function waitForAddress(platform: PlatformMonitor, fallback: string): Promise<string> {
    const deadline = ds.millis() + ADDRESS_WAIT_MS
    while (ds.millis() < deadline) {
        const address = platform.snapshot().address
        if (address) return address
        await ds.sleep(200)
    }
    if (fallback) return fallback
    console.error("platform: no address from the network layer and NODE_IP is not set; registering without InternalIP")
    return ""
}
