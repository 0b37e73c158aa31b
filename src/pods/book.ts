import { ListedPod } from "./listing"

// Pod theater's state machine, free of I/O: what the kubelet knows of the
// pods bound to its node, and what to do after each listing. The reconciler
// lists, asks for a plan, carries out each action and reports back; the
// table tests do the same with a fake clock and no network.
//
// A pod is tracked from the moment it runs here until it is gone from the
// listing. Listings exclude Succeeded and Failed pods, so a pod that
// completed or was rejected drops out by itself and needs no memory.

export type ActionKind =
    /** New here: read it, report it Running, post its events. */
    | "start"
    /** New here beyond MAX_PODS: report it Failed, OutOfpods. */
    | "reject"
    /** Someone else wrote to it (the node controller after an outage, say): read it, report Running again if it is not. */
    | "reassert"
    /** Its pretend run time is over: report it Succeeded. */
    | "complete"
    /** Its deletion was asked for: report its containers terminated, then delete it. */
    | "kill"
    /** Deleted before it ever ran here: delete it. */
    | "delete"

export interface PodAction {
    kind: ActionKind
    pod: ListedPod
}

export interface TrackedPod extends ListedPod {
    /** Running here; false while a write to it keeps being refused. */
    running: boolean
    /** Monotonic ms at which it completes; -1 for a pod that runs until deleted. */
    dueMs: number
    /** Failed attempts at its current action. */
    fails: number
    seen: boolean
    /** Its resourceVersion moved since we last wrote it. */
    changed: boolean
}

/** New pods taken from one listing; the rest wait for the next (the list is not held). */
export const FRESH_PER_LISTING = 8
/** A refused write is tried once more on the next listing, then left until the pod changes. */
export const TRIES = 2
/** Pods remembered as refused, beyond MAX_PODS running. */
export const MAX_REFUSED = 4

function tracking(p: ListedPod, running: boolean): TrackedPod {
    return {
        namespace: p.namespace,
        name: p.name,
        uid: p.uid,
        resourceVersion: p.resourceVersion,
        deleting: p.deleting,
        running,
        dueMs: -1,
        fails: 0,
        seen: true,
        changed: false,
    }
}

export class PodBook {
    tracked: TrackedPod[] = []
    private fresh: ListedPod[] = []

    constructor(readonly maxPods: number) {}

    /** Pods running here, within MAX_PODS. */
    running(): number {
        let n = 0
        for (const t of this.tracked) if (t.running) n++
        return n
    }

    find(uid: string): TrackedPod {
        for (const t of this.tracked) if (t.uid === uid) return t
        return undefined
    }

    /** A listing begins. */
    begin() {
        for (const t of this.tracked) t.seen = false
        this.fresh = []
    }

    /** One item of the listing. */
    listed(p: ListedPod) {
        const t = this.find(p.uid)
        if (!t) {
            if (this.fresh.length < FRESH_PER_LISTING) this.fresh.push(p)
            return
        }
        t.seen = true
        if (p.deleting && !t.deleting) t.fails = 0
        t.deleting = p.deleting
        if (p.resourceVersion !== t.resourceVersion) {
            t.changed = true
            t.resourceVersion = p.resourceVersion
            // a refused pod that changed gets its tries back
            t.fails = 0
        }
    }

    /** The listing is complete: returns what to do, in order; pods not listed are forgotten (returned for the log). */
    plan(nowMs: number): { actions: PodAction[]; gone: TrackedPod[] } {
        const gone = this.keepOnly(t => t.seen)
        const actions: PodAction[] = []
        const act = (kind: ActionKind, pod: ListedPod) => actions.push({ kind, pod })
        // refused pods not yet running are new again, after the running ones
        const waiting: ListedPod[] = []
        for (const t of this.tracked) {
            if (t.fails >= TRIES) continue
            if (!t.running) waiting.push(t)
            else if (t.deleting) act("kill", t)
            else if (t.dueMs >= 0 && nowMs >= t.dueMs) act("complete", t)
            else if (t.changed) act("reassert", t)
        }
        let running = this.running()
        waiting.pushRange(this.fresh)
        for (const p of waiting) {
            if (p.deleting) act("delete", p)
            else if (running < this.maxPods) {
                act("start", p)
                running++
            } else act("reject", p)
        }
        this.fresh = []
        return { actions, gone }
    }

    /** The pod runs here since a write with resourceVersion `rv`. */
    started(p: ListedPod, rv: string, dueMs: number) {
        let t = this.find(p.uid)
        if (!t) {
            t = tracking(p, true)
            this.tracked.push(t)
        }
        t.running = true
        t.dueMs = dueMs
        this.wrote(t, rv)
    }

    /** Our write left the pod at resourceVersion `rv` ("" when the reply did not say). */
    wrote(p: ListedPod, rv: string) {
        const t = this.find(p.uid)
        if (!t) return
        if (rv) t.resourceVersion = rv
        t.changed = false
        t.fails = 0
    }

    /** The pod is done with here: completed, deleted, or found terminated. */
    forget(p: ListedPod) {
        this.keepOnly(t => t.uid !== p.uid)
    }

    /**
     * Keeps the tracked pods `keep` says yes to, in order, in the same
     * array; returns the others. The book lives as long as the kubelet: a
     * new array at every listing would land wherever the heap had a hole.
     */
    private keepOnly(keep: (t: TrackedPod) => boolean): TrackedPod[] {
        const tracked = this.tracked
        const dropped: TrackedPod[] = []
        let kept = 0
        for (let i = 0; i < tracked.length; i++) {
            const t = tracked[i]
            if (keep(t)) tracked[kept++] = t
            else dropped.push(t)
        }
        // insert() with a negative count deletes; `length` is read-only in
        // DeviceScript (assigning it corrupted the heap in the VM tests)
        tracked.insert(kept, kept - tracked.length)
        return dropped
    }

    /**
     * The API server refused a write to the pod (4xx). A pod not yet running
     * is remembered (within MAX_REFUSED) so that its tries are counted too.
     */
    refused(p: ListedPod) {
        let t = this.find(p.uid)
        if (!t) {
            let refused = 0
            for (const x of this.tracked) if (!x.running) refused++
            if (refused >= MAX_REFUSED) return
            t = tracking(p, false)
            this.tracked.push(t)
        }
        t.fails++
    }
}
