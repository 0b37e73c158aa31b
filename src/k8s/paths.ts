// Where the kubelet's objects live in the API.

export const LEASE_NAMESPACE = "kube-node-lease"

export const NODES_PATH = "/api/v1/nodes"
export const LEASES_PATH = `/apis/coordination.k8s.io/v1/namespaces/${LEASE_NAMESPACE}/leases`

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
 * One page of the pods bound to the node that can still run: Succeeded and
 * Failed pods (completed, rejected) drop out of the list, so nothing need
 * remember them. Paged because DeviceScript's socket queues a whole reply in
 * the heap however slowly it is read: ~2 KB of metadata per pod, 40 pods
 * were more than the 64 KB heap.
 */
export function podsOnNodePath(node: string, limit: number, continueToken: string): string {
    let path = "/api/v1/pods?fieldSelector=spec.nodeName%3D" + node + "%2Cstatus.phase%21%3DSucceeded%2Cstatus.phase%21%3DFailed&limit=" + limit
    if (continueToken) path += "&continue=" + percentEncode(continueToken)
    return path
}

const UNRESERVED = "-._~"
const HEX_DIGITS = "0123456789ABCDEF"

/** A query value: every byte outside A-Z a-z 0-9 - . _ ~ as %XX (a continue token is base64: + / =). */
export function percentEncode(s: string): string {
    const b = Buffer.from(s)
    let out = ""
    for (let i = 0; i < b.length; i++) {
        const c = b[i]
        const alnum = (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 122)
        if (alnum || UNRESERVED.indexOf(String.fromCharCode(c)) >= 0) out += String.fromCharCode(c)
        else out += "%" + HEX_DIGITS[c >> 4] + HEX_DIGITS[c & 15]
    }
    return out
}

