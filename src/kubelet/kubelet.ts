import { KubeApi } from "../k8s/api"
import { NodeIdentity } from "../k8s/bodies"
import { createLease, fetchServerDate, postNodeStatus, registerNode, renewLease } from "../k8s/calls"
import { ConditionTracker, deriveConditions, NodeSample } from "../k8s/conditions"
import { LedStatus } from "../led/status"
import { PlatformSource, SIM_TRANSPORT } from "../platform/snapshot"
import { Config } from "../settings/settings"
import { WallClock } from "../time/clock"
import { parseHttpDate } from "../time/httpdate"
import { formatMicroTime, formatTime } from "../time/rfc3339"
import { Timer } from "../time/timer"

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
    private readonly connectionsOpened: () => number
    /** Connections the transport had opened at the latest reconnect check. */
    private connectionsSeen = 0
    private reconnects = 0
    private lastReconnectMs = -1
    /** Silence is measured from here until the API server first answers. */
    private readonly startMs: number

    constructor(parts: KubeletParts) {
        this.config = parts.config
        this.api = parts.api
        this.led = parts.led
        this.platform = parts.platform
        this.identity = parts.identity
        this.timer = parts.timer
        this.random = parts.random
        this.connectionsOpened = parts.connectionsOpened
        const timer = parts.timer
        this.clock = new WallClock(() => timer.now())
        this.startMs = timer.now()
    }

    /** Notes a reconnect when the transport opened another connection. */
    private trackReconnects() {
        const opened = this.connectionsOpened()
        if (opened > this.connectionsSeen) {
            if (this.connectionsSeen > 0) {
                this.reconnects += opened - this.connectionsSeen
                this.lastReconnectMs = this.timer.now()
            }
            this.connectionsSeen = opened
        }
    }

    private sample(): NodeSample {
        this.trackReconnects()
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

    /** Anchors the wall clock on the API server's Date. */
    async anchorClock() {
        const date = await fetchServerDate(this.api)
        const t = parseHttpDate(date)
        if (t === undefined) throw new Error(`GET /version: Date header missing or malformed: "${date}"`)
        this.clock.anchor(t)
        console.log(`kubelet: clock anchored at ${formatTime(this.clock.now())} from the API server's Date`)
    }

    /** Re-anchors on a reply's Date, measuring the skew (wall vs monotonic). */
    private reanchor(date: string) {
        const t = parseHttpDate(date)
        if (t === undefined) return
        const skew = this.clock.anchor(t)
        if (Math.abs(skew) > 1000) console.log(`kubelet: clock re-anchored, skew ${skew} ms`)
    }

    async registerNode() {
        this.refreshConditions()
        this.nodeUid = await registerNode(this.api, this.identity, this.conditions.toJson(this.clock.now()))
    }

    async createLease() {
        const c = this.config
        await createLease(this.api, c.nodeName, this.nodeUid, c.leaseSeconds, formatMicroTime(this.clock.nextRenewTime()))
    }

    /** Renews the Lease; returns the renewTime sent. */
    async renewLease(): Promise<string> {
        const renewTime = formatMicroTime(this.clock.nextRenewTime())
        await renewLease(this.api, this.config.nodeName, renewTime)
        return renewTime
    }

    /** Posts every condition and the heap figure; `why` is for the log. */
    async postStatus(why: string) {
        const p = this.platform.snapshot()
        const heapFree = p.known ? p.heapFree : -1
        const reply = await postNodeStatus(this.api, this.config.nodeName, heapFree, this.conditions.toJson(this.clock.now()))
        this.reanchor(reply.date)
        console.log(`status: posted (${why}) heap=${heapFree} ${this.conditions.describe()}`)
    }
}
