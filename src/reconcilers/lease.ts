import * as ds from "@devicescript/core"
import { describeReply, isSuccess } from "../k8s/api"
import { Backoff } from "../kubelet/backoff"
import { Kubelet } from "../kubelet/kubelet"
import { createLease, patchRenewTime } from "../kubelet/steps"

// The heartbeat, shaped like the upstream lease controller: every renew
// period (+ up to 4 % jitter) renew; retry a failed renewal quickly a few
// times; after that, drop the connection so the next try starts afresh
// (the kubelet's onRepeatedHeartbeatFailure).

/** Upstream kubelet: maxUpdateRetries. */
export const QUICK_RETRIES = 5
const JITTER = 0.04
const LINK_CHECK_MS = 500

type Outcome = "renewed" | "refused" | "failed"

export async function runLeaseReconciler(k: Kubelet) {
    const renewMs = k.config.renewSeconds * 1000
    // a refused credential is not fixed by hammering: back off to 6 periods
    const refusedBackoff = new Backoff(renewMs, 6 * renewMs, 0.2)
    let failing = false
    while (true) {
        const cycleStart = ds.millis()
        let waitMs = renewMs * (1 + JITTER * Math.random())
        try {
            if (await linkDown(k)) {
                // nothing can reach the API server; the LED already says so.
                // Look again soon: renewals resume as soon as the link is back.
                failing = true
                await ds.sleep(LINK_CHECK_MS)
                continue
            }
            const outcome = await renewWithRetries(k)
            if (outcome === "refused") waitMs = refusedBackoff.next()
            else refusedBackoff.reset()
            if (outcome === "renewed" && failing) k.statusDue = "recovered"
            failing = outcome !== "renewed"
            if (outcome === "failed") {
                console.error(`lease: ${QUICK_RETRIES} tries failed; dropping the connection to reconnect`)
                await k.api.dropConnection()
            }
        } catch (e: any) {
            console.error(`lease: unexpected error: ${e.message}`)
        }
        await ds.sleep(Math.max(0, cycleStart + waitMs - ds.millis()))
    }
}

async function renewWithRetries(k: Kubelet): Promise<Outcome> {
    const backoff = new Backoff()
    for (let attempt = 1; attempt <= QUICK_RETRIES; attempt++) {
        let problem: string
        try {
            const { reply, renewTime } = await patchRenewTime(k)
            if (isSuccess(reply)) {
                succeeded(k, `renewed #${k.renewals + 1} renewTime=${renewTime}`)
                return "renewed"
            }
            if (reply.status === 404) {
                console.error("lease: gone (404); recreating it")
                await createLease(k)
                // the Node may have gone with it (garbage collection): a post finds out
                k.statusDue = "lease was gone"
                succeeded(k, `recreated, counted as renewal #${k.renewals + 1}`)
                return "renewed"
            }
            if (reply.status === 401 || reply.status === 403) {
                k.led.credentialRefused = true
                k.updateReachability()
                console.error(
                    `lease: credential refused (${describeReply(reply)}); check K3S_TOKEN and the RBAC in deploy/`
                )
                return "refused"
            }
            problem = describeReply(reply)
        } catch (e: any) {
            problem = e.message
        }
        k.updateReachability()
        const last = attempt === QUICK_RETRIES
        const wait = last ? 0 : backoff.next()
        console.error(`lease: renewal failed (${attempt}/${QUICK_RETRIES}): ${problem}${last ? "" : `; retry in ${wait} ms`}`)
        await ds.sleep(wait)
    }
    return "failed"
}

/** Link down (cable pulled, Wi-Fi lost): pause renewals, close the dead socket once. */
async function linkDown(k: Kubelet): Promise<boolean> {
    const n = k.netif.snapshot
    const down = n.known && !n.linkUp
    if (down && !k.paused) {
        console.error("lease: link down; renewals paused")
        await k.api.dropConnection()
    } else if (!down && k.paused) console.log("lease: link up; renewals resume")
    k.paused = down
    return down
}

function succeeded(k: Kubelet, what: string) {
    k.renewals++
    k.led.credentialRefused = false
    k.led.renewed(ds.millis())
    k.updateReachability()
    console.log(`lease: ${what}`)
}
