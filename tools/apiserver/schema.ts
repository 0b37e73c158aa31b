// The little of the Kubernetes OpenAPI schema that patching, managedFields and
// serialisation depend on. Lists are named by their field name, which is
// unambiguous for the objects this emulator stores.

/** patchStrategy=merge lists and their patchMergeKey (upstream Go tags). */
const mergeKeys: Record<string, string> = {
    conditions: "type",
    addresses: "type",
    containers: "name",
    initContainers: "name",
    volumes: "name",
    volumeMounts: "mountPath",
    env: "name",
    ports: "containerPort",
    ownerReferences: "uid",
    podIPs: "ip",
    hostIPs: "ip",
    imagePullSecrets: "name",
}

/** patchStrategy=merge lists of scalars (set-like). */
const mergedScalarLists = new Set(["finalizers"])

/** Go maps: serialised with sorted keys; a new map gets "." in managedFields. */
const goMaps = new Set(["labels", "annotations", "capacity", "allocatable", "limits", "requests", "nodeSelector"])

/** Struct-typed lists whose elements are atomic for server-side apply. */
const atomicElements = new Set(["ownerReferences"])

/** listType=atomic: merged by key in a strategic merge patch, yet owned as a whole in managedFields. */
const atomicLists = new Set(["hostIPs"])

/** Lists the Go types encode even when empty (no omitempty): never "created" by a writer. */
const alwaysPresent = new Set(["containers"])

export const isAlwaysPresent = (field: string) => alwaysPresent.has(field)
export const mergeKeyOf = (field: string): string | undefined => mergeKeys[field]
export const isMergedScalarList = (field: string) => mergedScalarLists.has(field)
export const isGoMap = (field: string) => goMaps.has(field)
export const hasAtomicElements = (field: string) => atomicElements.has(field)
export const isAtomicList = (field: string) => atomicLists.has(field)

// Go encodes struct fields in declaration order; one global rank reproduces
// that for every type stored here because their shared field names never
// disagree on relative order.
const fieldOrder = [
    "kind", "apiVersion", "metadata", "spec",
    "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
    "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
    "labels", "annotations", "ownerReferences", "finalizers", "managedFields",
    // Node
    "podCIDR", "podCIDRs", "providerID", "unschedulable", "taints", "configSource", "externalID",
    "key", "value", "effect", "timeAdded",
    "capacity", "allocatable", "phase",
    "type", "status", "lastProbeTime", "lastHeartbeatTime", "lastTransitionTime", "reason", "message",
    "addresses", "address", "daemonEndpoints", "kubeletEndpoint", "Port", "nodeInfo",
    "machineID", "systemUUID", "bootID", "kernelVersion", "osImage", "containerRuntimeVersion",
    "kubeletVersion", "kubeProxyVersion", "operatingSystem", "architecture",
    "images", "volumesInUse", "volumesAttached", "config",
    // Lease
    "holderIdentity", "leaseDurationSeconds", "acquireTime", "renewTime", "leaseTransitions",
    // Pod
    "volumes", "initContainers", "containers", "ephemeralContainers", "image", "command", "args",
    "workingDir", "ports", "envFrom", "env", "resources", "volumeMounts", "livenessProbe",
    "readinessProbe", "startupProbe", "terminationMessagePath", "terminationMessagePolicy",
    "imagePullPolicy", "restartPolicy", "terminationGracePeriodSeconds", "activeDeadlineSeconds",
    "dnsPolicy", "nodeSelector", "serviceAccountName", "serviceAccount", "automountServiceAccountToken",
    "nodeName", "hostNetwork", "securityContext", "imagePullSecrets", "hostname", "subdomain",
    "affinity", "schedulerName", "tolerations", "operator", "tolerationSeconds",
    "priorityClassName", "priority", "enableServiceLinks", "preemptionPolicy",
    "hostIP", "hostIPs", "podIP", "podIPs", "ip", "startTime", "initContainerStatuses", "containerStatuses",
    "running", "startedAt", "qosClass",
    // Event
    "involvedObject", "fieldPath", "source", "component", "host", "firstTimestamp",
    "lastTimestamp", "count", "eventTime", "series", "action", "related",
    "reportingComponent", "reportingInstance",
]
const rank = new Map(fieldOrder.map((k, i) => [k, i]))

// Types whose field order disagrees with the global rank, by the field holding them.
const orderWithin: Record<string, Map<string, number>> = Object.fromEntries(
    Object.entries({
        ownerReferences: ["apiVersion", "kind", "name", "uid", "controller", "blockOwnerDeletion"],
        involvedObject: ["kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"],
        managedFields: ["manager", "operation", "apiVersion", "time", "fieldsType", "fieldsV1", "subresource"],
        containerStatuses: ["name", "state", "lastState", "ready", "restartCount", "image", "imageID", "containerID", "started"],
        // NodeStatus and PodStatus in one: they share only phase and conditions, in that order
        status: [
            "capacity", "allocatable", "phase", "conditions", "message", "reason", "nominatedNodeName",
            "addresses", "daemonEndpoints", "nodeInfo", "images", "volumesInUse", "volumesAttached", "config",
            "runtimeHandlers", "features",
            "hostIP", "hostIPs", "podIP", "podIPs", "startTime", "initContainerStatuses", "containerStatuses",
            "qosClass", "ephemeralContainerStatuses", "resize", "resourceClaimStatuses",
        ],
        tolerations: ["key", "operator", "value", "effect", "tolerationSeconds"],
        state: ["waiting", "running", "terminated"],
        lastState: ["waiting", "running", "terminated"],
        terminated: ["exitCode", "signal", "reason", "message", "startedAt", "finishedAt", "containerID"],
        waiting: ["reason", "message"],
        // an Event's own fields (canonical is called with the kind for the top level)
        Event: [
            "kind", "apiVersion", "metadata", "involvedObject", "reason", "message", "source", "firstTimestamp",
            "lastTimestamp", "count", "type", "eventTime", "series", "action", "related", "reportingComponent",
            "reportingInstance",
        ],
    }).map(([field, keys]) => [field, new Map(keys.map((k, i) => [k, i]))])
)

/**
 * Re-encodes an object the way the Go server would: struct fields in
 * declaration order (unknown ones last, as sent), map keys sorted.
 */
export function canonical(value: unknown, field = ""): unknown {
    if (Array.isArray(value)) return value.map(v => canonical(v, field))
    if (value === null || typeof value !== "object") return value
    const obj = value as Record<string, unknown>
    const keys = Object.keys(obj)
    if (isGoMap(field) || field === "fieldsV1" || field.startsWith("f:") || field.startsWith("k:"))
        keys.sort()
    else {
        const r = orderWithin[field] ?? rank
        keys.sort((a, b) => (r.get(a) ?? 1e6) - (r.get(b) ?? 1e6))
    }
    const out: Record<string, unknown> = {}
    for (const k of keys) out[k] = canonical(obj[k], k)
    return out
}
