import { Body, describeFailure, PROTOBUF, PROTOBUF_METADATA, PROTOBUF_METADATA_LIST, replyStatus, RESOURCE_VERSION, STRATEGIC_MERGE_PATCH } from "../k8s/api"
import { EventSubject } from "../k8s/events"
import { podPath, podsOnNodePath } from "../k8s/paths"
import { Kubelet } from "../kubelet/kubelet"
import { linkDown } from "../platform/snapshot"
import { deleteBody, rejectedBody, runningBody, terminatedBody } from "../pods/bodies"
import { ActionKind, PodAction, PodBook } from "../pods/book"
import { PodFacts } from "../pods/facts"
import { ListedPod, PodListing } from "../pods/listing"
import { formatTime } from "../time/rfc3339"

// Pod theater: every pod period, list the pods bound to this node (metadata
// only, streamed), ask the book what to do, and do it, one request at a time
// on the shared connection, so a lease renewal waits for at most one of
// them. Nothing runs: pods are reported Running, completed after a pretend
// run time, and deleted when asked. A refusal is logged and tried once more
// on the next listing; a network failure ends the cycle (the next listing
// retries); nothing here can stop the lease fiber.

/** Pods per page: one, since a real pod's metadata (managedFields) is ~4 KB and the socket queues the whole page in the heap (bench: 4 per page left 1 KB at 8 pods). */
export const PAGE_PODS = 1
/** Pages per listing; past them the node holds more pods than it could ever look at. */
export const MAX_PAGES = 256

export class PodReconciler {
    readonly book: PodBook
    private readonly periodMs: number

    constructor(private readonly k: Kubelet) {
        this.book = new PodBook(k.config.maxPods)
        this.periodMs = k.config.podSeconds * 1000
    }

    async run() {
        const timer = this.k.timer
        while (true) {
            const start = timer.now()
            await this.cycle()
            await timer.sleep(Math.max(0, start + this.periodMs - timer.now()))
        }
    }

    /** One listing and what follows from it. */
    async cycle() {
        const k = this.k
        try {
            if (linkDown(k.platform.snapshot())) return
            if (!(await this.list())) return
            const plan = this.book.plan(k.timer.now())
            for (const t of plan.gone) console.log(`pods: ${t.namespace}/${t.name} is gone`)
            for (const a of plan.actions) if (!(await this.act(a))) return
        } catch (e: any) {
            console.error(`pods: unexpected error: ${e.message}`)
        }
    }

    /** Streams the listing into the book, page by page; false when it failed (nothing is forgotten then). */
    private async list(): Promise<boolean> {
        const book = this.book
        book.begin()
        let token = ""
        let pods = 0
        for (let page = 1; page <= MAX_PAGES; page++) {
            const listing = new PodListing(book.listed)
            try {
                const path = podsOnNodePath(this.k.config.nodeName, PAGE_PODS, token)
                await this.k.api.read("list pods", path, listing.scanner.push, PROTOBUF_METADATA_LIST)
            } catch (e: any) {
                console.error(`pods: listing failed on page ${page}: ${describeFailure(e)}`)
                return false
            }
            const bad = listing.finish()
            pods += listing.count
            if (bad) {
                console.error(`pods: listing unreadable after ${pods} pods: ${bad}`)
                return false
            }
            token = listing.continueToken
            if (!token) return true
        }
        console.error(`pods: more than ${MAX_PAGES * PAGE_PODS} pods are bound to this node; the listing was abandoned`)
        return false
    }

    /** Carries out one action; false when the connection failed and the cycle should end. */
    private async act(a: PodAction): Promise<boolean> {
        const p = a.pod
        try {
            if (a.kind === "reject") await this.reject(p)
            else if (a.kind === "delete") await this.remove(p)
            else await this.walk(a.kind, p)
            return true
        } catch (e: any) {
            const status = replyStatus(e)
            console.error(`pods: ${a.kind} ${p.namespace}/${p.name} failed: ${describeFailure(e)}`)
            // 404 or 409: the pod is gone or is another pod now; the next listing tells
            if (status === 404 || status === 409) this.book.forget(p)
            else if (status >= 400 && status < 500) this.book.refused(p)
            return status !== 0
        }
    }

    /** Reads the pod, then reports it as `kind` wants. */
    private async walk(kind: ActionKind, p: ListedPod) {
        const k = this.k
        const facts = await this.read(p)
        if (facts.uid !== p.uid || facts.phase === "Succeeded" || facts.phase === "Failed") {
            // replaced under the same name, or finished meanwhile: not ours to write
            this.book.forget(p)
            return
        }
        const now = formatTime(k.clock.now())
        if (kind === "kill" || facts.deleting) {
            await this.patch(p, () => terminatedBody(p.uid, facts.containers, "", facts.startTime, now))
            for (const c of facts.containers) await k.postEvent(containerSubject(p, c.name), "Normal", "Killing", `Stopping container ${c.name}`)
            await this.remove(p)
            return
        }
        if (kind === "complete") {
            await this.patch(p, () => terminatedBody(p.uid, facts.containers, "Succeeded", facts.startTime, now))
            this.book.forget(p)
            console.log(`pods: ${p.namespace}/${p.name} Succeeded (pretended to run ${facts.runSeconds()} s)`)
            return
        }
        const runMs = facts.runSeconds() * 1000
        const dueMs = runMs < 0 ? -1 : k.timer.now() + runMs
        if (facts.phase === "Running" && facts.ready === "True") {
            // already reported (before a reboot, or someone else's write changed nothing that matters)
            this.book.started(p, facts.resourceVersion, kind === "start" ? dueMs : this.dueOf(p, dueMs))
            return
        }
        const fresh = facts.phase !== "Running"
        const ip = k.identity.internalIP
        const rv = await this.patch(p, () => runningBody(p.uid, facts.containers, facts.startTime || now, now, ip))
        this.book.started(p, rv, kind === "start" ? dueMs : this.dueOf(p, dueMs))
        const owner = facts.ownerKind ? ` (${facts.ownerKind})` : ""
        console.log(`pods: ${p.namespace}/${p.name}${owner} ${fresh ? "Running" : "Ready again"}, ${facts.containers.length} container(s)`)
        if (!fresh) return
        for (const c of facts.containers) {
            const subject = containerSubject(p, c.name)
            await k.postEvent(subject, "Normal", "Pulled", `Pretended to pull image "${c.image}": nothing runs here`)
            await k.postEvent(subject, "Normal", "Created", `Created container ${c.name}`)
            await k.postEvent(subject, "Normal", "Started", `Started container ${c.name}`)
        }
    }

    /** A tracked pod keeps its completion time when it is reasserted. */
    private dueOf(p: ListedPod, dflt: number): number {
        const t = this.book.find(p.uid)
        return t ? t.dueMs : dflt
    }

    private async read(p: ListedPod): Promise<PodFacts> {
        const facts = new PodFacts()
        await this.k.api.read("get pod", podPath(p.namespace, p.name), facts.scanner.push, PROTOBUF)
        const bad = facts.finish()
        if (bad) throw new Error(`pod ${p.namespace}/${p.name} cannot be reported on: ${bad}`)
        return facts
    }

    /** Status PATCH; returns the pod's resourceVersion after it ("" when the reply did not say). */
    private async patch(p: ListedPod, body: Body): Promise<string> {
        const path = podPath(p.namespace, p.name) + "/status"
        // the reply is asked for as the pod's metadata alone: a whole Pod is 5 KB, and only its resourceVersion is read
        return await this.k.api.callForMetadata("patch pod status", "PATCH", path, RESOURCE_VERSION, body, STRATEGIC_MERGE_PATCH)
    }

    private async reject(p: ListedPod) {
        const max = this.k.config.maxPods
        await this.patch(p, () => rejectedBody(p.uid, max))
        console.log(`pods: ${p.namespace}/${p.name} rejected: OutOfpods (MAX_PODS=${max})`)
        await this.k.postEvent(podSubject(p), "Warning", "OutOfpods", `Node didn't have enough resource: pods, capacity: ${max}`)
    }

    /** DELETE with grace 0 and the uid precondition; gone already (404, 409) is done too. */
    private async remove(p: ListedPod) {
        try {
            // the reply, the deleted Pod, is dropped: its metadata alone is the smallest form
            await this.k.api.call("delete pod", "DELETE", podPath(p.namespace, p.name), deleteBody(p.uid), undefined, undefined, PROTOBUF_METADATA)
            console.log(`pods: ${p.namespace}/${p.name} deleted`)
        } catch (e: any) {
            const status = replyStatus(e)
            if (status !== 404 && status !== 409) throw e
            console.log(`pods: ${p.namespace}/${p.name} was already gone (${status})`)
        }
        this.book.forget(p)
    }
}

function podSubject(p: ListedPod): EventSubject {
    return { kind: "Pod", namespace: p.namespace, name: p.name, uid: p.uid }
}

function containerSubject(p: ListedPod, container: string): EventSubject {
    const s = podSubject(p)
    // concatenated: DeviceScript templates treat braces as format syntax
    s.fieldPath = "spec.containers{" + container + "}"
    return s
}
