// Small kube-controller-manager loops whose effects a kubelet sees: the TTL
// controller annotating new nodes, the node lifecycle controller adding the
// beta os/arch labels, and the garbage collector removing a deleted node's
// lease through its ownerReference.
import type { Clock } from "./clock"
import type { Store } from "./store"

const TTL = "node.alpha.kubernetes.io/ttl"
const BETA_LABELS: [string, string][] = [
    ["kubernetes.io/os", "beta.kubernetes.io/os"],
    ["kubernetes.io/arch", "beta.kubernetes.io/arch"],
]

/**
 * The TTL annotation and the beta labels, on a tick: on a real server they
 * arrive a moment after the Node is created, not in the reply to its creation
 * (and before or after the kubelet's first status posts). Returns a stop.
 */
export function runNodeLabelControllers(store: Store, clock: Clock, tickMs = 500): () => void {
    return clock.every(tickMs, () => {
        for (const node of store.list("nodes")) {
            const labels = node.metadata.labels ?? {}
            const missingLabels = BETA_LABELS.filter(([ga, beta]) => labels[ga] !== undefined && labels[beta] !== labels[ga])
            if (node.metadata.annotations?.[TTL] !== undefined && missingLabels.length === 0) continue
            const after = structuredClone(node)
            after.metadata.annotations = { ...after.metadata.annotations, [TTL]: after.metadata.annotations?.[TTL] ?? "0" }
            for (const [ga, beta] of missingLabels) after.metadata.labels[beta] = labels[ga]
            store.update("nodes", node, after, { manager: "kube-controller-manager", apiVersion: "v1" })
        }
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
