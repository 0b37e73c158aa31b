import * as ds from "@devicescript/core"
import { Config } from "../settings/settings"
import { KubeApi } from "../k8s/api"
import { ConditionTracker, deriveConditions, NodeSample } from "../k8s/conditions"
import { NodeIdentity } from "../k8s/models"
import { LedStatus } from "../led/status"
import { Netif } from "../net/netif"
import { WallClock } from "../time/clock"

/** DeviceScript's GC heap on the ESP32-S3 and in the simulator. */
export const HEAP_SIZE = 65536

/**
 * Everything the bootstrap and the reconcilers share: one object passed to
 * each, so the fibers read the same counters and the same connection.
 */
export class Kubelet {
    readonly clock = new WallClock(ds.millis)
    readonly conditions = new ConditionTracker()
    /** metadata.uid of our Node, for the Lease's ownerReference. */
    nodeUid: string = undefined
    /** Lease renewals since boot; survives reconnections. */
    renewals = 0
    /** Connections the transport had opened at the latest reconnect check. */
    private connectionsSeen = 0
    reconnects = 0
    lastReconnectMs = -1
    /** Renewals paused because the link is down. */
    paused = false
    /**
     * Why a status post is due outside its schedule, "" if none. After an
     * outage the node may have gone Unknown, and Ready only returns when
     * the kubelet posts it again: renewals alone do not bring it back.
     */
    statusDue = ""
    /** Silence is measured from here until the API server first answers. */
    private readonly startMs = ds.millis()

    constructor(
        readonly config: Config,
        readonly api: KubeApi,
        readonly led: LedStatus,
        readonly netif: Netif,
        public identity: NodeIdentity,
        /** Connections opened so far by the transport (TLS handshakes). */
        private readonly connectionsOpened: () => number
    ) {}

    /** Notes a reconnect when the transport opened another connection. */
    private trackReconnects() {
        const opened = this.connectionsOpened()
        if (opened > this.connectionsSeen) {
            if (this.connectionsSeen > 0) {
                this.reconnects += opened - this.connectionsSeen
                this.lastReconnectMs = ds.millis()
            }
            this.connectionsSeen = opened
        }
    }

    sample(): NodeSample {
        this.trackReconnects()
        const n = this.netif.snapshot
        return {
            heapFree: n.known ? n.gcFree : -1,
            heapSize: HEAP_SIZE,
            memLowBytes: this.config.memLowBytes,
            uptimeMs: ds.millis(),
            renewals: this.renewals,
            reconnects: this.reconnects,
            lastReconnectMs: this.lastReconnectMs,
            transportChanges: n.transportChanges,
            maxAbsSkewMs: this.clock.maxAbsSkew,
        }
    }

    /** Disconnected LED once the API server has been silent for a renew period. */
    updateReachability() {
        const since = this.api.lastContactMs < 0 ? this.startMs : this.api.lastContactMs
        this.led.apiUnreachable = ds.millis() - since > this.config.renewSeconds * 1000
    }

    /** Re-derives the conditions; true when one flipped since the last call. */
    refreshConditions(): boolean {
        const flipped = this.conditions.update(deriveConditions(this.sample()), this.clock.now())
        this.led.memoryPressure = this.conditions.status("MemoryPressure") === "True"
        return flipped
    }
}
