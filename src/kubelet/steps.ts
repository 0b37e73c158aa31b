import { ApiStatusError, isSuccess, MERGE_PATCH, STRATEGIC_MERGE_PATCH } from "../k8s/api"
import {
    FIELD_MANAGER,
    findJsonString,
    heartbeatBody,
    leaseBody,
    leaseOwnerBody,
    leasePath,
    LEASES_PATH,
    nodePath,
    NODES_PATH,
    reconcileStatusBody,
    registrationBody,
    renewBody,
} from "../k8s/models"
import { parseHttpDate } from "../time/httpdate"
import { formatMicroTime, formatTime } from "../time/rfc3339"
import { Kubelet } from "./kubelet"

// The API calls of the kubelet, one function each. They throw on anything
// but success so callers retry them uniformly; each logs what it did.

/** GET /version and anchor the wall clock on its Date header. */
export async function anchorClock(k: Kubelet) {
    const r = await k.api.call("GET", "/version")
    if (!isSuccess(r)) throw new ApiStatusError("GET /version", r)
    const t = parseHttpDate(r.date)
    if (t === undefined) throw new Error(`GET /version: Date header missing or malformed: "${r.date}"`)
    k.clock.anchor(t)
    console.log(`kubelet: clock anchored at ${formatTime(k.clock.now())} from the API server's Date`)
}

/** Re-anchors on a reply's Date, measuring the skew (wall vs monotonic). */
export function reanchor(k: Kubelet, date: string) {
    const t = parseHttpDate(date)
    if (t === undefined) return
    const skew = k.clock.anchor(t)
    if (Math.abs(skew) > 1000) console.log(`kubelet: clock re-anchored, skew ${skew} ms`)
}

/**
 * POST the Node; on 409 (the board rebooted) GET it for its uid and
 * reconcile labels, addresses, capacity and nodeInfo with one status PATCH.
 */
export async function registerNode(k: Kubelet) {
    k.refreshConditions()
    const id = k.identity
    const conditions = k.conditions.toJson(k.clock.now())
    const created = await k.api.call("POST", NODES_PATH + FIELD_MANAGER, registrationBody(id, conditions))
    if (created.status === 201) {
        k.nodeUid = findJsonString(created.head, "uid")
        console.log(`kubelet: node ${id.name} registered, uid ${k.nodeUid}`)
        return
    }
    if (created.status !== 409) throw new ApiStatusError("register node", created)
    const got = await k.api.call("GET", nodePath(id.name))
    if (!isSuccess(got)) throw new ApiStatusError("get existing node", got)
    k.nodeUid = findJsonString(got.head, "uid")
    const patched = await k.api.call(
        "PATCH",
        nodePath(id.name) + "/status" + FIELD_MANAGER,
        reconcileStatusBody(id, conditions),
        STRATEGIC_MERGE_PATCH
    )
    if (!isSuccess(patched)) throw new ApiStatusError("reconcile existing node", patched)
    console.log(`kubelet: node ${id.name} existed (uid ${k.nodeUid}); reconciled labels, addresses ${id.internalIP}, capacity, nodeInfo`)
}

/** POST the Lease owned by the Node; 409 means it exists, which is fine. */
export async function createLease(k: Kubelet) {
    const name = k.config.nodeName
    const body = leaseBody(name, k.nodeUid, k.config.leaseSeconds, formatMicroTime(k.clock.nextRenewTime()))
    const r = await k.api.call("POST", LEASES_PATH + FIELD_MANAGER, body)
    if (r.status === 201) {
        console.log(`lease: created kube-node-lease/${name}`)
        return
    }
    if (r.status !== 409) throw new ApiStatusError("create lease", r)
    // It exists, maybe owned by a Node that was deleted and registered again:
    // point it at ours, or garbage collection would take it from under us.
    const owned = await k.api.call("PATCH", leasePath(name) + FIELD_MANAGER, leaseOwnerBody(name, k.nodeUid), MERGE_PATCH)
    if (!isSuccess(owned)) throw new ApiStatusError("adopt existing lease", owned)
    console.log(`lease: kube-node-lease/${name} exists; owner set to node uid ${k.nodeUid}`)
}

/** Merge PATCH of renewTime; returns the reply for the caller to classify. */
export async function patchRenewTime(k: Kubelet) {
    const renewTime = formatMicroTime(k.clock.nextRenewTime())
    const r = await k.api.call("PATCH", leasePath(k.config.nodeName) + FIELD_MANAGER, renewBody(renewTime), MERGE_PATCH)
    return { reply: r, renewTime }
}

/** Status PATCH with every condition and the heap annotation, in one request. */
export async function postStatus(k: Kubelet, why: string) {
    const now = k.clock.now()
    const heapFree = k.netif.snapshot.gcFree
    const r = await k.api.call(
        "PATCH",
        nodePath(k.config.nodeName) + "/status" + FIELD_MANAGER,
        heartbeatBody(heapFree, k.conditions.toJson(now)),
        STRATEGIC_MERGE_PATCH
    )
    if (!isSuccess(r)) throw new ApiStatusError("post status", r)
    reanchor(k, r.date)
    console.log(`status: posted (${why}) heap=${heapFree} ${describeConditions(k)}`)
}

function describeConditions(k: Kubelet): string {
    const t = k.conditions
    return ["Ready", "MemoryPressure", "Vibes", "Caffeinated", "Existential", "Peckish", "Haunted"]
        .map(type => `${type}=${t.status(type)}`)
        .join(" ")
}

