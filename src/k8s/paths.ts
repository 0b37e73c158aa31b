// Where the kubelet's objects live in the API.

export const LEASE_NAMESPACE = "kube-node-lease"

export function nodePath(name: string): string {
    return "/api/v1/nodes/" + name
}

export function leasePath(name: string): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${LEASE_NAMESPACE}/leases/${name}`
}

export const NODES_PATH = "/api/v1/nodes"
export const LEASES_PATH = `/apis/coordination.k8s.io/v1/namespaces/${LEASE_NAMESPACE}/leases`
/** Names the writer in managedFields. */
export const FIELD_MANAGER = "?fieldManager=picokubelet"
