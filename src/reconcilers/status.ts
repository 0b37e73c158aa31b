import * as ds from "@devicescript/core"
import { ApiStatusError } from "../k8s/api"
import { HeapGuard } from "../kubelet/heapguard"
import { Kubelet } from "../kubelet/kubelet"
import { createLease, postStatus, registerNode } from "../kubelet/steps"

// Samples the node every renew period and posts /status only when a
// condition flipped or the report period passed, never in between. A post
// that failed stays due and is retried on the next sample.

export async function runStatusReconciler(k: Kubelet) {
    const sampleMs = k.config.renewSeconds * 1000
    const reportMs = k.config.statusSeconds * 1000
    const heap = new HeapGuard()
    let lastPostMs = ds.millis()
    let due = ""
    while (true) {
        await sleepUnlessDue(k, sampleMs)
        try {
            await heap.check(k)
            if (k.refreshConditions()) due = "condition flipped"
            else if (k.statusDue) due = k.statusDue
            else if (!due && ds.millis() - lastPostMs >= reportMs) due = "report period"
            k.statusDue = ""
            if (!due) continue
            await postOrReregister(k, due)
            lastPostMs = ds.millis()
            due = ""
        } catch (e: any) {
            console.error(`status: post failed (${due}): ${e.message}; retry in ${sampleMs} ms`)
        }
    }
}

const WAKE_CHECK_MS = 250

/** Sleeps a sample period, waking early when another fiber asks for a post. */
async function sleepUnlessDue(k: Kubelet, ms: number) {
    const until = ds.millis() + ms
    while (!k.statusDue && ds.millis() < until) await ds.sleep(Math.min(WAKE_CHECK_MS, until - ds.millis()))
}

/** Someone deleted the Node (404): register again, recreate the Lease, post. */
async function postOrReregister(k: Kubelet, why: string) {
    try {
        await postStatus(k, why)
    } catch (e: any) {
        if (!(e instanceof ApiStatusError) || (e as ApiStatusError).reply.status !== 404) throw e
        console.error(`status: node ${k.config.nodeName} is gone (404); registering again`)
        await registerNode(k)
        await createLease(k)
        await postStatus(k, "re-registered")
    }
}
