import { MAX_STRING_BYTES, ProtoScanner } from "../k8s/proto-stream"
import { formatTime } from "../time/rfc3339"

// What a pod's status report needs from the Pod itself, read while it
// streams past: its containers, how it restarts, how long it pretends to
// run, and what its status already says (after a reboot or an outage).
// The Pod is asked for in protobuf: a third smaller than its JSON, and the
// whole reply is in the heap at once when the socket outpaces the parser.
//
// Fields come in field-number order (as Go and every protobuf encoder
// write them), so a container's name (1) comes before its image (2), a
// condition's type (1) before its status (2), and an annotation's key
// before its value: each first field opens a new record.

/** The pretend run time of a pod that completes, unless the pod says otherwise. */
export const RUN_SECONDS_ANNOTATION = "picokubelet.dev/run-seconds"
export const DEFAULT_RUN_SECONDS = 10
/** More containers than this and the pod is refused: the status lists every one. */
export const MAX_CONTAINERS = 8

export interface Container {
    name: string
    image: string
}

// Pod (in the envelope's field 2): metadata 1, spec 2, status 3 (k8s.io/api core/v1 generated.proto)
const PATHS = [
    [2, 1, 5], // metadata.uid
    [2, 1, 6], // metadata.resourceVersion
    [2, 1, 9], // metadata.deletionTimestamp
    [2, 1, 12, 1], // metadata.annotations key
    [2, 1, 12, 2], // and value
    [2, 1, 13, 1], // metadata.ownerReferences[].kind
    [2, 2, 2, 1], // spec.containers[].name
    [2, 2, 2, 2], // spec.containers[].image
    [2, 2, 3], // spec.restartPolicy
    [2, 3, 1], // status.phase
    [2, 3, 2, 1], // status.conditions[].type
    [2, 3, 2, 2], // status.conditions[].status
    [2, 3, 7, 1], // status.startTime.seconds
]
const UID = 0
const RESOURCE_VERSION = 1
const DELETION = 2
const ANNOTATION_KEY = 3
const ANNOTATION_VALUE = 4
const OWNER_KIND = 5
const CONTAINER_NAME = 6
const CONTAINER_IMAGE = 7
const RESTART_POLICY = 8
const PHASE = 9
const CONDITION_TYPE = 10
const CONDITION_STATUS = 11
const START_SECONDS = 12

export class PodFacts {
    readonly scanner: ProtoScanner
    uid = ""
    resourceVersion = ""
    deleting = false
    /** The kind of the pod's first owner (ReplicaSet, Job, DaemonSet...), "" when none. */
    ownerKind = ""
    containers: Container[] = []
    /** Always, OnFailure or Never. */
    restartPolicy = "Always"
    /** The annotation's text, "" when absent. */
    runSecondsText = ""
    phase = ""
    /** RFC 3339, "" when the pod has none. */
    startTime = ""
    /** The status of the Ready condition, "" when there is none. */
    ready = ""
    private annotationKey = ""
    private conditionType = ""
    private tooMany = false
    /** A wanted string was longer than the scanner reads. */
    private overlong = false

    constructor() {
        this.scanner = new ProtoScanner(PATHS, this.take)
    }

    /** The pod ended: returns why it cannot be reported on, or undefined. */
    finish(): string {
        const s = this.scanner
        if (s.error) return s.error
        if (!s.done) return "the reply ended before the pod did"
        if (this.overlong) return `a field is longer than ${MAX_STRING_BYTES} bytes`
        if (this.tooMany) return `more than ${MAX_CONTAINERS} containers`
        if (!this.containers.length) return "no containers"
        for (const c of this.containers) if (!c.name) return "a container without a name"
        return undefined
    }

    /** Seconds the pod pretends to run before it completes; -1 for a pod that runs until deleted. */
    runSeconds(): number {
        if (this.restartPolicy === "Always") return -1
        const n = parseInt(this.runSecondsText)
        return n >= 0 ? n : DEFAULT_RUN_SECONDS
    }

    private take(i: number, value: string) {
        if (value === undefined) {
            // a long annotation value nobody reads is no reason to refuse the pod
            if (i !== ANNOTATION_VALUE) this.overlong = true
            return
        }
        if (i === CONTAINER_NAME) {
            if (this.containers.length >= MAX_CONTAINERS) this.tooMany = true
            else this.containers.push({ name: value, image: "" })
        } else if (i === CONTAINER_IMAGE) {
            const last = this.containers[this.containers.length - 1]
            // an image with no name before it: a container without a name
            if (!last || last.image) {
                if (this.containers.length >= MAX_CONTAINERS) this.tooMany = true
                else this.containers.push({ name: "", image: value })
            } else if (!this.tooMany) last.image = value
        } else if (i === CONDITION_TYPE) this.conditionType = value
        else if (i === CONDITION_STATUS) {
            if (this.conditionType === "Ready") this.ready = value
        } else if (i === ANNOTATION_KEY) this.annotationKey = value
        else if (i === ANNOTATION_VALUE) {
            if (this.annotationKey === RUN_SECONDS_ANNOTATION) this.runSecondsText = value
        } else if (i === UID) this.uid = value
        else if (i === RESOURCE_VERSION) this.resourceVersion = value
        else if (i === DELETION) this.deleting = true
        else if (i === OWNER_KIND) {
            if (!this.ownerKind) this.ownerKind = value
        } else if (i === RESTART_POLICY) this.restartPolicy = value
        else if (i === PHASE) this.phase = value
        else if (i === START_SECONDS) this.startTime = formatTime(parseInt(value) * 1000)
    }
}
