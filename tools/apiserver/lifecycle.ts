// The node lifecycle controller of kube-controller-manager, reduced to what a
// kubelet can observe: every monitor period it looks for signs of life (a
// lease renewTime that increased, a changed Ready heartbeat), stamps them with
// ITS OWN clock, and after the grace period marks the node Unknown and taints
// it. Conditions come back only when the kubelet posts them again.
import type { Clock } from "./clock"
import { deepEqual } from "./patch"
import { notReadyTaint } from "./resources"
import { rfc3339, type Obj, type Store } from "./store"

export interface ReadyTransition {
    /** Emulator clock, ms since the epoch. */
    time: number
    from: string | undefined
    to: string
    reason: string
}

interface Health {
    probe: number
    renewTime?: number
    heartbeat?: string
}

const manager = { manager: "kube-controller-manager", apiVersion: "v1" }
const leaseNamespace = "kube-node-lease"

/** Condition taints (NoSchedule) and eviction taints (NoExecute) by the Ready status. */
const conditionTaints: Record<string, Record<string, string>> = {
    Ready: { False: notReadyTaint.key, Unknown: "node.kubernetes.io/unreachable" },
    MemoryPressure: { True: "node.kubernetes.io/memory-pressure" },
    DiskPressure: { True: "node.kubernetes.io/disk-pressure" },
    PIDPressure: { True: "node.kubernetes.io/pid-pressure" },
    NetworkUnavailable: { True: "node.kubernetes.io/network-unavailable" },
}
const conditionTaintKeys = new Set(Object.values(conditionTaints).flatMap(m => Object.values(m)))
const evictionTaintKeys = new Set([notReadyTaint.key, "node.kubernetes.io/unreachable"])

const readyOf = (node: Obj): Obj | undefined => (node.status?.conditions ?? []).find((c: Obj) => c.type === "Ready")

export class NodeLifecycle {
    private health = new Map<string, Health>()
    private transitions = new Map<string, ReadyTransition[]>()
    private lastReady = new Map<string, string | undefined>()
    private cancel: () => void

    constructor(
        private store: Store,
        private clock: Clock,
        private graceMs: number,
        private startupGraceMs = 60_000,
        monitorPeriodMs = 5_000
    ) {
        store.onChange((resource, type, obj) => {
            if (resource === "nodes") this.noteReady(obj, type === "DELETED")
        })
        this.cancel = clock.every(monitorPeriodMs, () => this.monitor())
    }

    stop(): void {
        this.cancel()
    }

    /** Forgets what it saw (a restart of the control plane without state). */
    reset(): void {
        this.health.clear()
        this.lastReady.clear()
        this.transitions.clear()
    }

    readyTransitions(node: string): ReadyTransition[] {
        return [...(this.transitions.get(node) ?? [])]
    }

    private noteReady(node: Obj, deleted: boolean): void {
        const name = node.metadata.name
        if (deleted) {
            this.lastReady.delete(name)
            this.health.delete(name)
            return
        }
        const ready = readyOf(node)
        const before = this.lastReady.get(name)
        if (ready && ready.status !== before) {
            const list = this.transitions.get(name) ?? []
            list.push({ time: this.clock.now(), from: before, to: ready.status, reason: ready.reason ?? "" })
            this.transitions.set(name, list)
        }
        this.lastReady.set(name, ready?.status)
    }

    /** One pass of monitorNodeHealth and the tainting passes. */
    monitor(): void {
        const now = this.clock.now()
        for (const node of this.store.list("nodes")) {
            const name = node.metadata.name
            const h = this.observe(node, now)
            const ready = readyOf(node)
            const grace = ready ? this.graceMs : this.startupGraceMs
            let current = node
            if (now - h.probe > grace && ready?.status !== "Unknown") {
                current = this.markUnknown(node, now)
                this.markPodsNotReady(name, now)
            }
            this.taint(current, now)
        }
    }

    private observe(node: Obj, now: number): Health {
        const name = node.metadata.name
        let h = this.health.get(name)
        if (!h) {
            h = { probe: now }
            this.health.set(name, h)
        }
        const heartbeat = readyOf(node)?.lastHeartbeatTime
        if (heartbeat !== undefined && heartbeat !== h.heartbeat) {
            h.heartbeat = heartbeat
            h.probe = now
        }
        const renew = Date.parse(this.store.get("leases", leaseNamespace, name)?.spec?.renewTime ?? "")
        // only an increase counts: a renewTime that went backwards is ignored
        if (!Number.isNaN(renew) && (h.renewTime === undefined || renew > h.renewTime)) {
            h.renewTime = renew
            h.probe = now
        }
        return h
    }

    private markUnknown(node: Obj, now: number): Obj {
        const after = structuredClone(node)
        const conditions: Obj[] = (after.status.conditions ??= [])
        const stamp = rfc3339(now)
        for (const type of ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"]) {
            const c = conditions.find(x => x.type === type)
            if (!c)
                conditions.push({
                    type,
                    status: "Unknown",
                    lastHeartbeatTime: node.metadata.creationTimestamp,
                    lastTransitionTime: stamp,
                    reason: "NodeStatusNeverUpdated",
                    message: "Kubelet never posted node status.",
                })
            else if (c.status !== "Unknown")
                Object.assign(c, {
                    status: "Unknown",
                    lastTransitionTime: stamp,
                    reason: "NodeStatusUnknown",
                    message: "Kubelet stopped posting node status.",
                })
        }
        return this.store.update("nodes", node, after, { ...manager, subresource: "status" })
    }

    private markPodsNotReady(nodeName: string, now: number): void {
        for (const pod of this.store.list("pods")) {
            if (pod.spec?.nodeName !== nodeName) continue
            const after = structuredClone(pod)
            const ready = (after.status?.conditions ?? []).find((c: Obj) => c.type === "Ready")
            if (!ready || ready.status === "False") continue
            Object.assign(ready, { status: "False", lastTransitionTime: rfc3339(now) })
            this.store.update("pods", pod, after, { manager: "node-controller", apiVersion: "v1", subresource: "status" })
        }
    }

    private taint(node: Obj, now: number): void {
        const conditions: Obj[] = node.status?.conditions ?? []
        // before the kubelet posted Ready, the admission taint stands
        if (!readyOf(node)) return
        const wantNoSchedule = conditions.flatMap(c => {
            const key = conditionTaints[c.type]?.[c.status]
            return key ? [key] : []
        })
        const readyStatus = readyOf(node)?.status
        const wantNoExecute = conditionTaints.Ready[readyStatus]
        const taints: Obj[] = node.spec?.taints ?? []
        const kept = taints.filter(t => {
            if (t.effect === "NoSchedule" && conditionTaintKeys.has(t.key)) return wantNoSchedule.includes(t.key)
            if (t.effect === "NoExecute" && evictionTaintKeys.has(t.key)) return t.key === wantNoExecute
            return true
        })
        for (const key of wantNoSchedule)
            if (!kept.some(t => t.key === key && t.effect === "NoSchedule")) kept.push({ key, effect: "NoSchedule" })
        if (wantNoExecute && !kept.some(t => t.key === wantNoExecute && t.effect === "NoExecute"))
            kept.push({ key: wantNoExecute, effect: "NoExecute", timeAdded: rfc3339(now) })
        if (deepEqual(kept, taints)) return
        const after = structuredClone(node)
        after.spec = { ...after.spec, taints: kept }
        if (kept.length === 0) delete after.spec.taints
        this.store.update("nodes", node, after, manager)
    }
}
