// Request bodies for the API server, built from small objects: the replies
// are never parsed here (a Node is 4-6 KB and the heap is 64 KB). A body
// with the node's conditions is JSON in pieces, each condition its own, and
// is written piece by piece: the whole (2 KB) is never one string, which in
// a heap of small holes may find no hole big enough.
import { FIRMWARE_DIGEST_ANNOTATION, FIRMWARE_STATUS_ANNOTATION } from "../update/reference"
import { LEASE_NAMESPACE } from "./paths"

export const KUBELET_VERSION = "v1.31.1-picokubelet"
export const CONTAINER_RUNTIME = "lies://0.1.0"
export const OPERATING_SYSTEM = "devicescript"
export const ARCHITECTURE = "xtensa-lx7"
export const INSTANCE_TYPE = "esp32-s3-r8"
export const HEAP_ANNOTATION = "picokubelet.dev/heap-bytes-free"
/** Honest capacity of an ESP32-S3 running DeviceScript, as in the seed. */
export const CPU_CAPACITY = "240m"
export const MEMORY_CAPACITY = "320Ki"
/** The kubelet port a real node advertises; nothing listens on it here. */
export const KUBELET_PORT = 10250

export interface NodeIdentity {
    name: string
    internalIP: string
    machineID: string
    systemUUID: string
    bootID: string
    /** DeviceScript runtime version, e.g. "devicescript-2.16.4". */
    kernelVersion: string
    maxPods: number
    /** NoSchedule taint key that keeps ordinary workloads off; "" for none. */
    taintKey: string
    /** The program's version as its image names it (devs's @version), "" when it has none. */
    firmwareVersion: string
}

/** What the node reports about its firmware; an empty status reports nothing yet. */
export interface FirmwareReport {
    /** "sha256:<hex>" manifest digest of the running image, "" when unknown. */
    digest: string
    status: string
}

/** nodeInfo.osImage: the OS-IMAGE column of `kubectl get nodes -o wide` shows the firmware version. */
export function osImage(firmwareVersion: string): string {
    return firmwareVersion ? `picokubelet ${firmwareVersion} on DeviceScript` : "picokubelet on DeviceScript"
}

export function nodeLabels(id: NodeIdentity): any {
    return {
        "kubernetes.io/hostname": id.name,
        "kubernetes.io/os": OPERATING_SYSTEM,
        "kubernetes.io/arch": ARCHITECTURE,
        "node.kubernetes.io/instance-type": INSTANCE_TYPE,
        "picokubelet.dev/board": "waveshare-esp32-s3-eth",
        "picokubelet.dev/runtime": "lies",
    }
}

function resources(id: NodeIdentity): any {
    return { cpu: CPU_CAPACITY, memory: MEMORY_CAPACITY, pods: "" + id.maxPods }
}

function nodeInfo(id: NodeIdentity): any {
    return {
        machineID: id.machineID,
        systemUUID: id.systemUUID,
        bootID: id.bootID,
        kernelVersion: id.kernelVersion,
        osImage: osImage(id.firmwareVersion),
        containerRuntimeVersion: CONTAINER_RUNTIME,
        kubeletVersion: KUBELET_VERSION,
        kubeProxyVersion: KUBELET_VERSION,
        operatingSystem: OPERATING_SYSTEM,
        architecture: ARCHITECTURE,
    }
}

/** InternalIP first (kubectl shows the first); none when there is no address. */
function addresses(id: NodeIdentity): any[] {
    const list: any[] = []
    if (id.internalIP) list.push({ type: "InternalIP", address: id.internalIP })
    list.push({ type: "Hostname", address: id.name })
    return list
}

/** Pushes `o`'s members, a piece each, the first opening the object; returns what goes before the next member. */
function members(pieces: string[], o: any): string {
    let before = "{"
    const keys = Object.keys(o)
    for (let i = 0; i < keys.length; i++) {
        pieces.push(before + JSON.stringify(keys[i]) + ":" + JSON.stringify(o[keys[i]]))
        before = ","
    }
    return before
}

/**
 * The JSON of `top` with a last member `status`, which is `status` with a
 * last member `conditions`, in pieces: a member of each object and a
 * condition each, so that no string is longer than the longest of them.
 * Built whole and then cut open, a 1.3 KB Node took two more copies of
 * itself, and the heap (first-fit, never compacted) of a kubelet that has
 * run a while seldom has such holes.
 */
function withConditions(top: any, status: any, conditions: any[]): string[] {
    const pieces: string[] = []
    const statusKey = members(pieces, top) + '"status":'
    pieces.push(statusKey)
    const conditionsKey = members(pieces, status) + '"conditions":['
    pieces.push(conditionsKey)
    for (let i = 0; i < conditions.length; i++) pieces.push((i ? "," : "") + JSON.stringify(conditions[i]))
    pieces.push("]}}")
    return pieces
}

/** POST /api/v1/nodes: the whole Node, conditions included. */
export function registrationBody(id: NodeIdentity, conditions: any[]): string[] {
    const spec: any = {}
    if (id.taintKey) spec.taints = [{ key: id.taintKey, value: "true", effect: "NoSchedule" }]
    return withConditions(
        { apiVersion: "v1", kind: "Node", metadata: { name: id.name, labels: nodeLabels(id) }, spec },
        {
            capacity: resources(id),
            allocatable: resources(id),
            nodeInfo: nodeInfo(id),
            addresses: addresses(id),
            daemonEndpoints: { kubeletEndpoint: { Port: KUBELET_PORT } },
        },
        conditions
    )
}

/**
 * Status PATCH (strategic merge) after a 409 on registration: the board
 * rebooted, maybe with a new DHCP address. Addresses carry `$patch: replace`
 * because their upstream merge key (type) would keep the old address.
 */
export function reconcileStatusBody(id: NodeIdentity, conditions: any[]): string[] {
    const replaced: any[] = [{ $patch: "replace" }]
    replaced.pushRange(addresses(id))
    return withConditions(
        { metadata: { labels: nodeLabels(id) } },
        { capacity: resources(id), allocatable: resources(id), nodeInfo: nodeInfo(id), addresses: replaced },
        conditions
    )
}

/**
 * The annotations a status post carries: free heap and the firmware report.
 * None while the heap is unknown (heapFree < 0): better absent than invented.
 */
export function statusAnnotations(heapFree: number, firmware: FirmwareReport): any {
    const annotations: any = {}
    if (heapFree >= 0) annotations[HEAP_ANNOTATION] = "" + heapFree
    if (firmware.status) {
        // null removes a digest the node can no longer vouch for
        annotations[FIRMWARE_DIGEST_ANNOTATION] = firmware.digest || null
        annotations[FIRMWARE_STATUS_ANNOTATION] = firmware.status
    }
    return annotations
}

/** The whole status PATCH: every condition and the annotations in one request (the API server keeps metadata sent to /status). */
export function heartbeatBody(heapFree: number, conditions: any[], firmware: FirmwareReport): string[] {
    return statusBody(statusAnnotations(heapFree, firmware), undefined, conditions)
}

/**
 * A heartbeat when nothing flipped, as client-go's two-way strategic merge
 * patch of the node sends it: the conditions' order, and of each condition
 * its type, the new lastHeartbeatTime and whatever else changed since the
 * last post (`conditions` from ConditionTracker.changedJson); only the
 * annotations that changed.
 */
export function heartbeatDiffBody(changedAnnotations: any, conditions: any[]): string[] {
    return statusBody(changedAnnotations, conditions.map(c => ({ type: c.type })), conditions)
}

/** The annotations whose value differs from what was posted before. */
export function changedAnnotations(now: any, posted: any): any {
    const changed: any = {}
    const keys = Object.keys(now)
    for (let i = 0; i < keys.length; i++) if (now[keys[i]] !== posted[keys[i]]) changed[keys[i]] = now[keys[i]]
    return changed
}

function statusBody(annotations: any, order: any[], conditions: any[]): string[] {
    const status: any = {}
    if (order) status["$setElementOrder/conditions"] = order
    return withConditions(Object.keys(annotations).length ? { metadata: { annotations } } : {}, status, conditions)
}

function ownerReferences(name: string, nodeUid: string): any[] {
    return [{ apiVersion: "v1", kind: "Node", name, uid: nodeUid }]
}

/** POST of the Lease, owned by the Node so deleting the Node collects it. */
export function leaseBody(
    name: string,
    nodeUid: string,
    leaseSeconds: number,
    renewTime: string
): string {
    const metadata: any = { name, namespace: LEASE_NAMESPACE }
    if (nodeUid) metadata.ownerReferences = ownerReferences(name, nodeUid)
    return JSON.stringify({
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata,
        spec: { holderIdentity: name, leaseDurationSeconds: leaseSeconds, renewTime },
    })
}

/** Merge PATCH giving an existing Lease our Node as its only owner. */
export function leaseOwnerBody(name: string, nodeUid: string): string {
    return JSON.stringify({ metadata: { ownerReferences: ownerReferences(name, nodeUid) } })
}

/** Merge PATCH of renewTime alone: 52 bytes, and it cannot conflict. */
export function renewBody(renewTime: string): string {
    // Concatenation, not a template: DeviceScript compiles templates to a
    // format string in which "}}" is an escaped brace.
    return '{"spec":{"renewTime":"' + renewTime + '"}}'
}
