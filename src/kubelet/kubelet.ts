import { describeFailure, KubeApi, KubeReply, MERGE_PATCH, PROTOBUF, PROTOBUF_METADATA, replyStatus, STRATEGIC_MERGE_PATCH, UID } from "../k8s/api"
import {
    changedAnnotations,
    FirmwareReport,
    heartbeatBody,
    heartbeatDiffBody,
    leaseBody,
    leaseOwnerBody,
    NodeIdentity,
    reconcileStatusBody,
    registrationBody,
    renewBody,
    statusAnnotations,
} from "../k8s/bodies"
import { ConditionTracker, deriveConditions, NodeSample } from "../k8s/conditions"
import { eventBody, eventNamespace, EventSubject, nodeSubject } from "../k8s/events"
import { ProtoScanner } from "../k8s/proto-stream"
import { eventsPath, leasePath, LEASES_PATH, nodePath, NODES_PATH } from "../k8s/paths"
import { LedStatus } from "../led/status"
import { PlatformSource, SIM_TRANSPORT } from "../platform/snapshot"
import { Config } from "../settings/settings"
import { WallClock } from "../time/clock"
import { parseHttpDate } from "../time/httpdate"
import { formatMicroTime, formatTime } from "../time/rfc3339"
import { Timer } from "../time/timer"
import { FIRMWARE_ANNOTATION } from "../update/reference"

/** An annotation's key and value in a PartialObjectMetadata reply (metadata 1, annotations 12). */
const ANNOTATION_FIELDS = [[2, 1, 12, 1], [2, 1, 12, 2]]

/** What a Kubelet is made of; the unit tests pass fakes for each. */
export interface KubeletParts {
    config: Config
    api: KubeApi
    led: LedStatus
    platform: PlatformSource
    identity: NodeIdentity
    /** Connections opened so far by the transport (TLS handshakes). */
    connectionsOpened: () => number
    timer: Timer
    /** Uniform in [0, 1): jitter. */
    random: () => number
}

/**
 * The node's state shared by the bootstrap and the reconcilers, and the
 * steps that change it: one object passed to each, so the fibers read the
 * same counters and use the same connection.
 */
export class Kubelet {
    readonly config: Config
    readonly api: KubeApi
    readonly led: LedStatus
    readonly platform: PlatformSource
    readonly identity: NodeIdentity
    readonly timer: Timer
    readonly random: () => number
    readonly clock: WallClock
    readonly conditions = new ConditionTracker()
    /** metadata.uid of our Node, for the Lease's ownerReference. */
    nodeUid: string = undefined
    /** Lease renewals since boot; survives reconnections. */
    renewals = 0
    /**
     * NodeReady was posted as an event since boot or since the last outage
     * long enough for the node controller to call the node NotReady.
     */
    readyAnnounced = false
    /** The MemoryPressure status last posted as an event. */
    memoryAnnounced: string = undefined
    /** The Node's picokubelet.dev/firmware annotation as the latest status reply had it; "" for none. */
    desiredFirmware = ""
    readonly firmware: FirmwareReport = { digest: "", status: "" }
    /** The annotations the last successful status post left on the server; undefined when unsure. */
    private postedAnnotations: any = undefined
    private readonly connectionsOpened: () => number
    /** Connections the transport had opened at the latest reconnect check. */
    private connectionsSeen = 0
    private reconnects = 0
    private lastReconnectMs = -1
    /** Silence is measured from here until the API server first answers. */
    private readonly startMs: number

    constructor(parts: KubeletParts) {
        // every part becomes the field of its name (the fields above), in one copy
        Object.assign(this, parts)
        // a method read off its object stays bound to it in DeviceScript
        this.clock = new WallClock(parts.timer.now)
        this.startMs = parts.timer.now()
    }

    private sample(): NodeSample {
        // a connection opened since the last sample, after the first, is a reconnect
        const opened = this.connectionsOpened()
        if (opened > this.connectionsSeen) {
            if (this.connectionsSeen > 0) {
                this.reconnects += opened - this.connectionsSeen
                this.lastReconnectMs = this.timer.now()
            }
            this.connectionsSeen = opened
        }
        const p = this.platform.snapshot()
        return {
            heapFree: p.known ? p.heapFree : -1,
            heapSimulated: p.transport === SIM_TRANSPORT,
            memLowBytes: this.config.memLowBytes,
            uptimeMs: this.timer.now(),
            renewals: this.renewals,
            reconnects: this.reconnects,
            lastReconnectMs: this.lastReconnectMs,
            transportChanges: p.transportChanges,
            maxAbsSkewMs: this.clock.maxAbsSkew,
        }
    }

    /** Disconnected LED once the API server has been silent for a renew period. */
    updateReachability() {
        const since = this.api.lastContactMs < 0 ? this.startMs : this.api.lastContactMs
        this.led.apiUnreachable = this.timer.now() - since > this.config.renewSeconds * 1000
    }

    /** Re-derives the conditions; true when one flipped since the last call. */
    refreshConditions(): boolean {
        const flipped = this.conditions.update(deriveConditions(this.sample()), this.clock.now())
        this.led.memoryPressure = this.conditions.status("MemoryPressure") === "True"
        return flipped
    }

    // The API calls. Like KubeApi.call they return on success and throw on
    // anything else, so retry loops treat them alike; each logs what it did.
    // A reply read for nothing but its status comes in protobuf, and as
    // metadata alone when the object is large (a Node, a Pod): DeviceScript's
    // socket holds a whole reply in the heap, read or not.

    /** GET /version and anchor the wall clock on its Date header. */
    async anchorClock() {
        const date = (await this.api.call("GET /version", "GET", "/version")).date
        const t = parseHttpDate(date)
        if (t === undefined) throw new Error(`GET /version: Date header missing or malformed: "${date}"`)
        this.clock.anchor(t)
        console.log(`kubelet: clock anchored at ${formatTime(this.clock.now())} from the API server's Date`)
    }

    /**
     * POST the Node; on 409 (the board rebooted) GET it for its uid and
     * reconcile labels, addresses, capacity and nodeInfo with one status PATCH.
     */
    async registerNode() {
        this.refreshConditions()
        const api = this.api
        const id = this.identity
        const tracker = this.conditions
        const now = this.clock.now()
        try {
            // the reply is asked for as the Node's metadata alone: the uid is all it is read for
            this.nodeUid = await api.callForMetadata("register node", "POST", NODES_PATH, UID, () => registrationBody(id, tracker.toJson(now)))
            console.log(`kubelet: node ${id.name} registered, uid ${this.nodeUid}`)
            return
        } catch (e: any) {
            if (replyStatus(e) !== 409) throw e
        }
        const uid = await api.callForMetadata("get existing node", "GET", nodePath(id.name), UID)
        await api.call(
            "reconcile existing node",
            "PATCH",
            nodePath(id.name) + "/status",
            () => reconcileStatusBody(id, tracker.toJson(now)),
            STRATEGIC_MERGE_PATCH,
            undefined,
            PROTOBUF_METADATA
        )
        this.nodeUid = uid
        console.log(`kubelet: node ${id.name} existed (uid ${uid}); reconciled labels, addresses ${id.internalIP}, capacity, nodeInfo`)
    }

    /** POST the Lease owned by the Node; 409 means it exists, and it is adopted. */
    async createLease() {
        const name = this.config.nodeName
        const nodeUid = this.nodeUid
        try {
            const body = leaseBody(name, nodeUid, this.config.leaseSeconds, formatMicroTime(this.clock.nextRenewTime()))
            await this.api.call("create lease", "POST", LEASES_PATH, body, undefined, undefined, PROTOBUF)
            console.log(`lease: created kube-node-lease/${name}`)
            return
        } catch (e: any) {
            if (replyStatus(e) !== 409) throw e
        }
        // It exists, maybe owned by a Node that was deleted and registered again:
        // point it at ours, or garbage collection would take it from under us.
        await this.api.call("adopt existing lease", "PATCH", leasePath(name), leaseOwnerBody(name, nodeUid), MERGE_PATCH, undefined, PROTOBUF)
        console.log(`lease: kube-node-lease/${name} exists; owner set to node uid ${nodeUid}`)
    }

    /** Merge PATCH of renewTime alone; returns the renewTime sent. */
    async renewLease(): Promise<string> {
        const renewTime = formatMicroTime(this.clock.nextRenewTime())
        // the reply is discarded: protobuf is its smallest form
        await this.api.call("renew lease", "PATCH", leasePath(this.config.nodeName), renewBody(renewTime), MERGE_PATCH, undefined, PROTOBUF)
        return renewTime
    }

    /**
     * Status PATCH with the conditions and annotations, in one request: whole,
     * or when `heartbeat` and the server has the last post, only what changed
     * (as the upstream kubelet's heartbeat). `why` is for the log.
     */
    async postStatus(why: string, heartbeat?: boolean) {
        const p = this.platform.snapshot()
        const heapFree = p.known ? p.heapFree : -1
        const now = this.clock.now()
        const annotations = statusAnnotations(heapFree, this.firmware)
        const posted = this.postedAnnotations
        const conditions = this.conditions
        const diff = heartbeat && posted !== undefined && conditions.allPosted()
        const changed = diff ? changedAnnotations(annotations, posted) : undefined
        const firmware = this.firmware
        const body = () =>
            diff ? heartbeatDiffBody(changed, conditions.changedJson(now)) : heartbeatBody(heapFree, conditions.toJson(now), firmware)
        // the reply is the Node's metadata: its desired firmware comes with it, at no extra request
        let desired = ""
        let key = ""
        const scanner = new ProtoScanner(ANNOTATION_FIELDS, (i, value) => {
            if (i === 0) key = value
            else if (key === FIRMWARE_ANNOTATION) desired = value
        })
        let reply: KubeReply
        try {
            reply = await this.api.call("post status", "PATCH", nodePath(this.config.nodeName) + "/status", body, STRATEGIC_MERGE_PATCH, scanner.push, PROTOBUF_METADATA)
        } catch (e: any) {
            // the server may have the old post or this one: the next is whole
            this.postedAnnotations = undefined
            conditions.forgetPosted()
            throw e
        }
        this.postedAnnotations = annotations
        this.conditions.markPosted()
        if (scanner.done && !scanner.error && desired !== undefined) this.desiredFirmware = desired
        else console.error(`status: reply unreadable (${scanner.error || (scanner.done ? "annotation too long" : "cut short")}); desired firmware unchanged`)
        // re-anchor on the reply's Date, measuring the skew (wall vs monotonic)
        const t = parseHttpDate(reply.date)
        if (t !== undefined) {
            const skew = this.clock.anchor(t)
            if (Math.abs(skew) > 1000) console.log(`kubelet: clock re-anchored, skew ${skew} ms`)
        }
        console.log(`status: posted (${why}) heap=${heapFree} ${this.conditions.describe()}${diff ? " [heartbeat: changes only]" : ""}`)
    }

    /** Posts an event. Best effort: a refusal is logged, never thrown, and not retried. */
    async postEvent(subject: EventSubject, type: string, reason: string, message: string) {
        const node = this.config.nodeName
        const time = formatTime(this.clock.now())
        try {
            const body = () => eventBody(node, subject, type, reason, message, time)
            // the reply is not read: its metadata alone is the smallest the server sends
            await this.api.call("post event", "POST", eventsPath(eventNamespace(subject)), body, undefined, undefined, PROTOBUF_METADATA)
        } catch (e: any) {
            console.error(`event: ${reason} for ${subject.name} not posted: ${describeFailure(e)}`)
        }
    }

    /**
     * After a status post: the node's events for what it now reports and had
     * not told yet (at boot, after an outage, on a memory flip), as the
     * kubelet records them.
     */
    async announceNode() {
        const node = this.config.nodeName
        const memory = this.conditions.status("MemoryPressure")
        if (memory !== this.memoryAnnounced && memory !== "Unknown") {
            this.memoryAnnounced = memory
            const reason = memory === "True" ? "NodeHasInsufficientMemory" : "NodeHasSufficientMemory"
            await this.postEvent(nodeSubject(node), "Normal", reason, `Node ${node} status is now: ${reason}`)
        }
        if (!this.readyAnnounced) {
            this.readyAnnounced = true
            await this.postEvent(nodeSubject(node), "Normal", "NodeReady", `Node ${node} status is now: NodeReady`)
        }
    }
}
