// Where the kubelet's objects live in the API.

export const LEASE_NAMESPACE = "kube-node-lease"

export const NODES_PATH = "/api/v1/nodes"
export const LEASES_PATH = `/apis/coordination.k8s.io/v1/namespaces/${LEASE_NAMESPACE}/leases`
/** Names the writer in managedFields. */
export const FIELD_MANAGER = "?fieldManager=picokubelet"

// an object's path from its collection's: the image holds each prefix once
export function nodePath(name: string): string {
    return NODES_PATH + "/" + name
}

export function leasePath(name: string): string {
    return LEASES_PATH + "/" + name
}

export function podsPath(namespace: string): string {
    return "/api/v1/namespaces/" + namespace + "/pods"
}

export function podPath(namespace: string, name: string): string {
    return podsPath(namespace) + "/" + name
}

export function eventsPath(namespace: string): string {
    return "/api/v1/namespaces/" + namespace + "/events"
}

/**
 * The pods bound to the node that can still run: Succeeded and Failed pods
 * (completed, rejected) drop out of the list, so nothing need remember them.
 */
export function podsOnNodePath(node: string): string {
    return "/api/v1/pods?fieldSelector=spec.nodeName%3D" + node + "%2Cstatus.phase%21%3DSucceeded%2Cstatus.phase%21%3DFailed"
}

/** Asks for a list of metadata only: no specs, no status. */
export const METADATA_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
