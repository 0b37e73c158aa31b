import { KubeApi, KubeReply, MERGE_PATCH, replyStatus, STRATEGIC_MERGE_PATCH, findJsonString } from "./api"
import {
    heartbeatBody,
    leaseBody,
    leaseOwnerBody,
    NodeIdentity,
    reconcileStatusBody,
    registrationBody,
    renewBody,
} from "./bodies"
import { FIELD_MANAGER, leasePath, LEASES_PATH, nodePath, NODES_PATH } from "./paths"

// The kubelet's API calls, one function each. Like KubeApi.call they return
// on success and throw on anything else; each logs what it did.

/** GET /version for its Date header, the wall clock's anchor. */
export async function fetchServerDate(api: KubeApi): Promise<string> {
    return (await api.call("GET /version", "GET", "/version")).date
}

/**
 * POST the Node; on 409 (the board rebooted) GET it for its uid and
 * reconcile labels, addresses, capacity and nodeInfo with one status PATCH.
 * Returns the Node's uid.
 */
export async function registerNode(api: KubeApi, id: NodeIdentity, conditions: any[]): Promise<string> {
    try {
        const created = await api.call("register node", "POST", NODES_PATH + FIELD_MANAGER, registrationBody(id, conditions))
        const uid = findJsonString(created.bodyPrefix, "uid")
        console.log(`kubelet: node ${id.name} registered, uid ${uid}`)
        return uid
    } catch (e: any) {
        if (replyStatus(e) !== 409) throw e
    }
    const existing = await api.call("get existing node", "GET", nodePath(id.name))
    const uid = findJsonString(existing.bodyPrefix, "uid")
    await api.call(
        "reconcile existing node",
        "PATCH",
        nodePath(id.name) + "/status" + FIELD_MANAGER,
        reconcileStatusBody(id, conditions),
        STRATEGIC_MERGE_PATCH
    )
    console.log(`kubelet: node ${id.name} existed (uid ${uid}); reconciled labels, addresses ${id.internalIP}, capacity, nodeInfo`)
    return uid
}

/** POST the Lease owned by the Node; 409 means it exists, and it is adopted. */
export async function createLease(api: KubeApi, name: string, nodeUid: string, leaseSeconds: number, renewTime: string) {
    try {
        await api.call("create lease", "POST", LEASES_PATH + FIELD_MANAGER, leaseBody(name, nodeUid, leaseSeconds, renewTime))
        console.log(`lease: created kube-node-lease/${name}`)
        return
    } catch (e: any) {
        if (replyStatus(e) !== 409) throw e
    }
    // It exists, maybe owned by a Node that was deleted and registered again:
    // point it at ours, or garbage collection would take it from under us.
    await api.call("adopt existing lease", "PATCH", leasePath(name) + FIELD_MANAGER, leaseOwnerBody(name, nodeUid), MERGE_PATCH)
    console.log(`lease: kube-node-lease/${name} exists; owner set to node uid ${nodeUid}`)
}

/** Merge PATCH of renewTime alone. */
export async function renewLease(api: KubeApi, name: string, renewTime: string): Promise<KubeReply> {
    return await api.call("renew lease", "PATCH", leasePath(name) + FIELD_MANAGER, renewBody(renewTime), MERGE_PATCH)
}

/** Status PATCH with every condition and the heap annotation, in one request. */
export async function postNodeStatus(api: KubeApi, name: string, heapFree: number, conditions: any[]): Promise<KubeReply> {
    return await api.call(
        "post status",
        "PATCH",
        nodePath(name) + "/status" + FIELD_MANAGER,
        heartbeatBody(heapFree, conditions),
        STRATEGIC_MERGE_PATCH
    )
}
