import { describeFailure, replyStatus } from "../k8s/api"
import { Backoff, retryBackoff } from "../kubelet/backoff"
import { Kubelet } from "../kubelet/kubelet"
import { linkDown } from "../platform/snapshot"

// The heartbeat, shaped like the upstream lease controller: every renew
// period (+ up to 4 % jitter) renew; retry a failed renewal quickly a few
// times; after that, drop the connection so the next try starts afresh
// (the kubelet's onRepeatedHeartbeatFailure).

/** Upstream kubelet: maxUpdateRetries. */
export const QUICK_RETRIES = 5
export const JITTER = 0.04
/** While the link is down, how often to look again. */
export const LINK_CHECK_MS = 500
/** A refused credential is not fixed by hammering: back off to this many periods. */
export const REFUSED_MAX_PERIODS = 6

type Outcome = "renewed" | "refused" | "failed"

export class LeaseReconciler {
    private readonly renewMs: number
    private readonly refusedBackoff: Backoff
    /** The last cycle did not renew: the next renewal is a recovery. */
    private failing = false
    /** Renewals paused because the link is down. */
    private paused = false
    /** Monotonic ms of the latest renewal. */
    private renewedMs: number

    constructor(
        private readonly k: Kubelet,
        /** Asks the status loop for a post (after an outage Ready must be posted again). */
        private readonly requestStatusPost: (why: string) => void
    ) {
        this.renewMs = k.config.renewSeconds * 1000
        this.refusedBackoff = new Backoff(this.renewMs, REFUSED_MAX_PERIODS * this.renewMs, 0.2, k.random)
        this.renewedMs = k.timer.now()
    }

    /** Renews forever, each cycle starting a period after the last began. */
    async run() {
        const timer = this.k.timer
        while (true) {
            const start = timer.now()
            const waitMs = await this.cycle()
            await timer.sleep(Math.max(0, start + waitMs - timer.now()))
        }
    }

    /** One cycle: renew (with quick retries) unless the link is down. Returns ms from its start to the next. */
    async cycle(): Promise<number> {
        const k = this.k
        let waitMs = this.renewMs * (1 + JITTER * k.random())
        try {
            if (await this.pauseWhileLinkDown()) {
                // nothing can reach the API server; the LED already says so.
                // Look again soon: renewals resume as soon as the link is back.
                this.failing = true
                return LINK_CHECK_MS
            }
            const outcome = await this.renewWithRetries()
            if (outcome === "refused") waitMs = this.refusedBackoff.next()
            else this.refusedBackoff.reset()
            if (outcome === "renewed" && this.failing) this.requestStatusPost("recovered")
            this.failing = outcome !== "renewed"
            if (outcome === "failed") {
                console.error(`lease: ${QUICK_RETRIES} tries failed; dropping the connection to reconnect`)
                await k.api.dropConnection()
            }
        } catch (e: any) {
            console.error(`lease: unexpected error: ${e.message}`)
        }
        return waitMs
    }

    private async renewWithRetries(): Promise<Outcome> {
        const k = this.k
        const backoff = retryBackoff(k.random)
        for (let attempt = 1; attempt <= QUICK_RETRIES; attempt++) {
            let problem: string
            try {
                const renewTime = await k.renewLease()
                this.succeeded(`renewed #${k.renewals + 1} renewTime=${renewTime}`)
                return "renewed"
            } catch (e: any) {
                const status = replyStatus(e)
                if (status === 404) {
                    console.error("lease: gone (404); recreating it")
                    await k.createLease()
                    // the Node may have gone with it (garbage collection): a post finds out
                    this.requestStatusPost("lease was gone")
                    this.succeeded(`recreated, counted as renewal #${k.renewals + 1}`)
                    return "renewed"
                }
                if (status === 401 || status === 403) {
                    k.led.credentialRefused = true
                    k.updateReachability()
                    console.error(
                        `lease: credential refused (${describeFailure(e)}); check K3S_TOKEN and the RBAC in deploy/`
                    )
                    return "refused"
                }
                problem = describeFailure(e)
            }
            k.updateReachability()
            const last = attempt === QUICK_RETRIES
            const wait = last ? 0 : backoff.next()
            console.error(`lease: renewal failed (${attempt}/${QUICK_RETRIES}): ${problem}${last ? "" : `; retry in ${wait} ms`}`)
            await k.timer.sleep(wait)
        }
        return "failed"
    }

    /** Link down (cable pulled, Wi-Fi lost): pause renewals, close the dead socket once. */
    private async pauseWhileLinkDown(): Promise<boolean> {
        const down = linkDown(this.k.platform.snapshot())
        if (down && !this.paused) {
            console.error("lease: link down; renewals paused")
            await this.k.api.dropConnection()
        } else if (!down && this.paused) console.log("lease: link up; renewals resume")
        this.paused = down
        return down
    }

    private succeeded(what: string) {
        const k = this.k
        const now = k.timer.now()
        // silent past the lease: the node controller has called the node NotReady; say Ready again
        if (now - this.renewedMs > k.config.leaseSeconds * 1000) k.readyAnnounced = false
        this.renewedMs = now
        k.renewals++
        k.led.credentialRefused = false
        k.led.renewed(now)
        k.updateReachability()
        console.log(`lease: ${what}`)
    }
}
