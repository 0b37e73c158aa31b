// The cluster's view of a board: its Node as the API returns it (GET
// /api/v1/nodes, or one node) -> the STATUS and TAINTS cells.

/** STATUS for a node the API does not have (yet, or any more). */
export const NOT_REGISTERED = "(not registered)"

/** The parts of a v1 Node this reads. */
export interface NodeLike {
    metadata?: { name?: string }
    spec?: { unschedulable?: boolean; taints?: { key: string; value?: string; effect: string }[] }
    status?: { conditions?: { type: string; status: string }[] }
}

/**
 * STATUS as kube-apiserver's table printer (and so `kubectl get nodes`)
 * says it: "Ready" when the Ready condition is True, "NotReady" when it is
 * False or Unknown (the node controller's verdict on a silent node), "Unknown"
 * when the node has no Ready condition; ",SchedulingDisabled" when cordoned.
 */
export function nodeStatus(node: NodeLike | undefined): string {
    if (!node) return NOT_REGISTERED
    const ready = (node.status?.conditions ?? []).find(c => c.type === "Ready")
    const status = ready ? (ready.status === "True" ? "Ready" : "NotReady") : "Unknown"
    return node.spec?.unschedulable ? `${status},SchedulingDisabled` : status
}

/** The well-known prefix of the node lifecycle's taints, left out of the short form. */
export const TAINT_PREFIX = "node.kubernetes.io/"

/**
 * The node's taints in short form, "key:effect" (no value), sorted; keys
 * under node.kubernetes.io/ lose that prefix: "unreachable:NoExecute".
 */
export function nodeTaints(node: NodeLike | undefined): string[] {
    return (node?.spec?.taints ?? [])
        .map(t => `${t.key.startsWith(TAINT_PREFIX) ? t.key.slice(TAINT_PREFIX.length) : t.key}:${t.effect}`)
        .sort()
}

/** A NodeList (or its items) -> each board's STATUS and taints, by node name. */
export function nodeCells(
    nodes: { items?: NodeLike[] } | NodeLike[] | undefined,
    name: string
): { status: string; taints: string[] } {
    const items = Array.isArray(nodes) ? nodes : (nodes?.items ?? [])
    const node = items.find(n => n.metadata?.name === name)
    return { status: nodeStatus(node), taints: nodeTaints(node) }
}
