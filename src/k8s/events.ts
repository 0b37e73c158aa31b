// Events as the kubelet posts them (source component "kubelet", host the
// node), for `kubectl describe` and `kubectl get events`. The server names
// each from generateName.

export interface EventSubject {
    kind: string
    /** "" for the Node: its events go to "default". */
    namespace: string
    name: string
    /** The kubelet gives the node's name as its uid: `kubectl describe node` looks its events up so. */
    uid: string
    /** spec.containers{name} for a container's events. */
    fieldPath?: string
}

export const EVENT_NAMESPACE = "default"

export function eventNamespace(s: EventSubject): string {
    return s.namespace || EVENT_NAMESPACE
}

export function eventBody(node: string, s: EventSubject, type: string, reason: string, message: string, time: string): string {
    const involvedObject: any = { kind: s.kind }
    if (s.namespace) involvedObject.namespace = s.namespace
    involvedObject.name = s.name
    involvedObject.uid = s.uid
    involvedObject.apiVersion = "v1"
    if (s.fieldPath) involvedObject.fieldPath = s.fieldPath
    return JSON.stringify({
        apiVersion: "v1",
        kind: "Event",
        metadata: { generateName: s.name + ".", namespace: eventNamespace(s) },
        involvedObject,
        reason,
        message,
        source: { component: "kubelet", host: node },
        firstTimestamp: time,
        lastTimestamp: time,
        count: 1,
        type,
        reportingComponent: "kubelet",
        reportingInstance: node,
    })
}

/** The node as the subject of its own events. */
export function nodeSubject(node: string): EventSubject {
    return { kind: "Node", namespace: "", name: node, uid: node }
}
