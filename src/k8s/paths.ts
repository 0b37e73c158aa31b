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
