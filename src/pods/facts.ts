import { JsonScanner } from "../k8s/json-stream"

// What a pod's status report needs from the Pod itself, read while it
// streams past: its containers, how it restarts, how long it pretends to
// run, and what its status already says (after a reboot or an outage).

/** The pretend run time of a pod that completes, unless the pod says otherwise. */
export const RUN_SECONDS_ANNOTATION = "picokubelet.dev/run-seconds"
export const DEFAULT_RUN_SECONDS = 10
/** More containers than this and the pod is refused: the status lists every one. */
export const MAX_CONTAINERS = 8

export interface Container {
    name: string
    image: string
}

const RUN_SECONDS = "metadata.annotations." + RUN_SECONDS_ANNOTATION
const CONTAINER = "spec.containers[]"
const CONDITION = "status.conditions[]"

export class PodFacts {
    readonly scanner: JsonScanner
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
    startTime = ""
    /** The status of the Ready condition, "" when there is none. */
    ready = ""
    private conditionType = ""
    private conditionStatus = ""
    private tooMany = false

    constructor() {
        this.scanner = new JsonScanner(
            [
                "metadata.uid",
                "metadata.resourceVersion",
                "metadata.deletionTimestamp",
                "metadata.ownerReferences[].kind",
                RUN_SECONDS,
                CONTAINER,
                CONTAINER + ".name",
                CONTAINER + ".image",
                "spec.restartPolicy",
                "status.phase",
                "status.startTime",
                CONDITION,
                CONDITION + ".type",
                CONDITION + ".status",
            ],
            this.take
        )
    }

    /** The pod ended: returns why it cannot be reported on, or undefined. */
    finish(): string {
        const s = this.scanner
        s.end()
        if (s.error) return s.error
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

    private take(path: string, value: string) {
        if (path === CONTAINER) {
            if (this.containers.length >= MAX_CONTAINERS) this.tooMany = true
            else this.containers.push({ name: "", image: "" })
        } else if (path.startsWith(CONTAINER)) {
            const c: any = this.containers[this.containers.length - 1]
            if (c && !this.tooMany) c[path.slice(CONTAINER.length + 1)] = value
        } else if (path === CONDITION) {
            this.conditionType = ""
            this.conditionStatus = ""
        } else if (path.startsWith(CONDITION)) {
            if (path.endsWith("type")) this.conditionType = value
            else this.conditionStatus = value
            if (this.conditionType === "Ready" && this.conditionStatus) this.ready = this.conditionStatus
        } else if (path === "metadata.uid") this.uid = value
        else if (path === "metadata.resourceVersion") this.resourceVersion = value
        else if (path === "metadata.deletionTimestamp") this.deleting = true
        else if (path === "metadata.ownerReferences[].kind") {
            if (!this.ownerKind) this.ownerKind = value
        } else if (path === RUN_SECONDS) this.runSecondsText = value
        else if (path === "spec.restartPolicy") this.restartPolicy = value
        else if (path === "status.phase") this.phase = value
        else if (path === "status.startTime") this.startTime = value
    }
}
