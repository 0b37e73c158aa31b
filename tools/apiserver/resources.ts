// The resources the emulator serves, with what the real registry strategies
// and admission plugins do to them on the way in.
import { randomBytes } from "node:crypto"
import type { StatusCause } from "./status"
import type { Obj } from "./store"
import { validateEvent, validateLease, validateNode, validatePod } from "./validation"

export interface ResourceDef {
    group: string
    version: string
    resource: string
    kind: string
    namespaced: boolean
    /** Has a status subresource: the main resource ignores status, /status ignores spec. */
    hasStatus: boolean
    verbs: string[]
    shortNames?: string[]
    validate(obj: Obj): StatusCause[]
    /** Registry defaulting and PrepareForCreate: credited to the writer in managedFields. */
    prepareCreate?(obj: Obj): void
    /**
     * What decoding into the Go types does to a written object: fields
     * without omitempty appear (as null, {} or zero) and count as written.
     */
    normalize?(obj: Obj): void
    /** Admission plugins, after managedFields were computed. */
    admit?(obj: Obj): void
    /** Graceful deletion applies (pods bound to a node). */
    graceful?: boolean
    /** The field selector labels the registry supports beyond metadata.name and metadata.namespace. */
    fieldLabels?: string[]
}

const rw = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

export const notReadyTaint = { key: "node.kubernetes.io/not-ready", effect: "NoSchedule" }

function defaultConditionTimes(conditions: Obj[] | undefined, fields: string[]): void {
    for (const c of conditions ?? []) for (const f of fields) if (!(f in c)) c[f] = null
}

const nodes: ResourceDef = {
    group: "",
    version: "v1",
    resource: "nodes",
    kind: "Node",
    namespaced: false,
    hasStatus: true,
    verbs: rw,
    shortNames: ["no"],
    validate: validateNode,
    fieldLabels: ["spec.unschedulable"],
    normalize(node) {
        defaultConditionTimes(node.status?.conditions, ["lastHeartbeatTime", "lastTransitionTime"])
    },
    prepareCreate(node) {
        node.spec ??= {}
        node.status ??= {}
    },
    // TaintNodesByCondition: a new node is not ready until its kubelet says so
    admit(node) {
        const taints: Obj[] = (node.spec.taints ??= [])
        if (!taints.some(t => t.key === notReadyTaint.key && t.effect === notReadyTaint.effect))
            taints.push({ ...notReadyTaint })
    },
}

const leases: ResourceDef = {
    group: "coordination.k8s.io",
    version: "v1",
    resource: "leases",
    kind: "Lease",
    namespaced: true,
    hasStatus: false,
    verbs: rw,
    validate: validateLease,
}

const serviceAccountMount = "/var/run/secrets/kubernetes.io/serviceaccount"

function imagePullPolicy(image: string): string {
    const tag = /:([^/:@]+)$/.exec(image)?.[1]
    return !tag || tag === "latest" ? "Always" : "IfNotPresent"
}

const pods: ResourceDef = {
    group: "",
    version: "v1",
    resource: "pods",
    kind: "Pod",
    namespaced: true,
    hasStatus: true,
    verbs: rw,
    shortNames: ["po"],
    validate: validatePod,
    graceful: true,
    fieldLabels: [
        "spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork",
        "status.phase", "status.podIP", "status.podIPs", "status.nominatedNodeName",
    ],
    normalize(pod) {
        defaultConditionTimes(pod.status?.conditions, ["lastProbeTime", "lastTransitionTime"])
        for (const cs of pod.status?.containerStatuses ?? []) {
            cs.state ??= {}
            cs.lastState ??= {}
            cs.ready ??= false
            cs.restartCount ??= 0
            cs.image ??= ""
            cs.imageID ??= ""
        }
    },
    prepareCreate(pod) {
        const spec = (pod.spec ??= {})
        for (const c of spec.containers ?? []) {
            c.resources ??= {}
            c.terminationMessagePath ??= "/dev/termination-log"
            c.terminationMessagePolicy ??= "File"
            c.imagePullPolicy ??= imagePullPolicy(String(c.image ?? ""))
        }
        spec.restartPolicy ??= "Always"
        spec.terminationGracePeriodSeconds ??= 30
        spec.dnsPolicy ??= "ClusterFirst"
        spec.securityContext ??= {}
        spec.schedulerName ??= "default-scheduler"
        spec.enableServiceLinks ??= true
        pod.status = { phase: "Pending", qosClass: "BestEffort" }
    },
    // ServiceAccount and Priority admission
    admit(pod) {
        const spec = pod.spec
        spec.serviceAccountName ??= "default"
        spec.serviceAccount ??= spec.serviceAccountName
        const volume = `kube-api-access-${randomBytes(3).toString("hex").slice(0, 5)}`
        spec.volumes = [
            ...(spec.volumes ?? []),
            {
                name: volume,
                projected: {
                    sources: [
                        { serviceAccountToken: { expirationSeconds: 3607, path: "token" } },
                        { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
                        {
                            downwardAPI: {
                                items: [{ path: "namespace", fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } }],
                            },
                        },
                    ],
                    defaultMode: 420,
                },
            },
        ]
        for (const c of spec.containers)
            c.volumeMounts = [...(c.volumeMounts ?? []), { name: volume, readOnly: true, mountPath: serviceAccountMount }]
        spec.priority ??= 0
        spec.preemptionPolicy ??= "PreemptLowerPriority"
        // DefaultTolerationSeconds: 300 s on a not-ready or unreachable node, unless a toleration covers it
        const tolerations: Obj[] = spec.tolerations ?? []
        for (const key of ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"]) {
            const covered = tolerations.some(
                t => (!t.effect || t.effect === "NoExecute") && (t.operator === "Exists" ? !t.key || t.key === key : t.key === key && !t.value)
            )
            if (!covered) tolerations.push({ key, operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 })
        }
        if (tolerations.length > 0) spec.tolerations = tolerations
    },
}

const events: ResourceDef = {
    group: "",
    version: "v1",
    resource: "events",
    kind: "Event",
    namespaced: true,
    hasStatus: false,
    verbs: rw,
    shortNames: ["ev"],
    validate: validateEvent,
    fieldLabels: [
        "involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
        "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
        "reason", "reportingComponent", "source", "type",
    ],
    // fields the Go struct always encodes; not owned by the writer
    admit(event) {
        event.eventTime ??= null
        event.reportingComponent ??= ""
        event.reportingInstance ??= ""
    },
}

export const resources: ResourceDef[] = [nodes, leases, pods, events]

export function findResource(group: string, version: string, resource: string): ResourceDef | undefined {
    return resources.find(r => r.group === group && r.version === version && r.resource === resource)
}

export const apiVersionOf = (def: ResourceDef) => (def.group ? `${def.group}/${def.version}` : def.version)
