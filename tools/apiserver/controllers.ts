// Two small kube-controller-manager loops whose effects a kubelet sees: the
// TTL controller annotating new nodes, and the garbage collector removing a
// deleted node's lease through its ownerReference.
import type { Store } from "./store"

export function runTtlController(store: Store): void {
    store.onChange((resource, type, node) => {
        if (resource !== "nodes" || type !== "ADDED") return
        const after = structuredClone(node)
        after.metadata.annotations = { ...after.metadata.annotations, "node.alpha.kubernetes.io/ttl": "0" }
        store.update("nodes", node, after, { manager: "kube-controller-manager", apiVersion: "v1" })
    })
}

export function runGarbageCollector(store: Store): void {
    store.onChange((_resource, type, owner) => {
        if (type !== "DELETED") return
        for (const dependentResource of ["leases", "pods", "events"]) {
            for (const dep of store.list(dependentResource)) {
                const refs: { uid: string }[] = dep.metadata.ownerReferences ?? []
                if (refs.some(r => r.uid === owner.metadata.uid)) store.remove(dependentResource, dep)
            }
        }
    })
}
