import * as ds from "@devicescript/core"
import { replyStatus } from "../k8s/api"
import { HeapGuard } from "../kubelet/heapguard"
import { Kubelet } from "../kubelet/kubelet"

// Samples the node every renew period and posts /status only when a
// condition flipped, the report period passed, or another fiber asked for a
// post; never in between. A post that failed stays due and is retried on
// the next sample.

const REPORT_PERIOD = "report period"

export class StatusReconciler {
    private readonly sampleMs: number
    private readonly reportMs: number
    private readonly heap = new HeapGuard()
    /** The run fiber while it sleeps between samples, for requestPost to wake. */
    private sleeper: ds.Fiber
    private lastPostMs: number
    /** Why a post is due, "" when none. */
    private due = ""
    /** Why another fiber asked for a post, "" when none. */
    private requested = ""

    constructor(private readonly k: Kubelet) {
        this.sampleMs = k.config.renewSeconds * 1000
        this.reportMs = k.config.statusSeconds * 1000
        this.lastPostMs = k.timer.now()
    }

    /**
     * Asks for a post at once, e.g. after an outage: the node may have gone
     * Unknown, and Ready only returns when the kubelet posts it again.
     */
    requestPost(why: string) {
        this.requested = why
        const s = this.sleeper
        if (s && s.suspended) s.resume(null)
    }

    /**
     * Samples every period, or at once when a post is requested. A request
     * made while no sample sleeps is still in `requested`, so the next sample
     * comes at once: a request is never lost between checks.
     */
    async run() {
        while (true) {
            if (!this.requested) {
                this.sleeper = ds.Fiber.self()
                await ds.suspend(this.sampleMs)
                this.sleeper = undefined
            }
            await this.cycle()
        }
    }

    /** One sample: post when due. */
    async cycle() {
        const k = this.k
        try {
            await this.heap.check(k)
            if (k.refreshConditions()) this.due = "condition flipped"
            else if (this.requested) this.due = this.requested
            else if (!this.due && k.timer.now() - this.lastPostMs >= this.reportMs) this.due = REPORT_PERIOD
            this.requested = ""
            if (!this.due) return
            await this.postOrRegisterAgain(this.due)
            this.lastPostMs = k.timer.now()
            this.due = ""
            await k.announceNode()
        } catch (e: any) {
            console.error(`status: post failed (${this.due}): ${e.message}; retry in ${this.sampleMs} ms`)
        }
    }

    /**
     * Posts: on the report period a heartbeat of what changed, else (a flip,
     * an outage, a request) whole. Someone deleted the Node (404): register
     * again, recreate the Lease, post.
     */
    private async postOrRegisterAgain(why: string) {
        const k = this.k
        try {
            await k.postStatus(why, why === REPORT_PERIOD)
        } catch (e: any) {
            if (replyStatus(e) !== 404) throw e
            console.error(`status: node ${k.config.nodeName} is gone (404); registering again`)
            await k.registerNode()
            await k.createLease()
            await k.postStatus("re-registered")
        }
    }
}
