// The requests of the firmware's pod theater, appended (31 on) to the 1.26
// sequence when recording the 1.31 set (tools/cluster/record-fixtures.ts):
// an admin creates pods bound to the fixture node, the kubelet lists them
// (metadata only, terminal phases left out), reads one, walks them to
// Running, Succeeded and Failed (rejected), reports events, and finishes a
// graceful deletion; the admin deletes terminal pods, which go at once.
// Once recorded, the 1.31 files are the sequence; this is only its source.
import { FIXTURE_NODE, PLACEHOLDER_TOKEN, type ReplaySource } from "./replay"

const NS = "default"
const IP = "192.168.0.111"
/** The firmware's clock: RFC 3339 seconds. */
const STARTED = "2026-11-29T05:00:00Z"
const FINISHED = "2026-11-29T05:00:07Z"
/** A uid no object has. */
export const WRONG_UID = "00000000-0000-0000-0000-000000000000"

/** Placeholders for the uids the admin's creations get; replay maps them to the assigned ones. */
const UID = {
    web: "00000000-0000-4000-8000-0000000000a1",
    job: "00000000-0000-4000-8000-0000000000a2",
    crowd: "00000000-0000-4000-8000-0000000000a3",
    elsewhere: "00000000-0000-4000-8000-0000000000a4",
    plain: "00000000-0000-4000-8000-0000000000a5",
}

const POD_LIST =
    `/api/v1/pods?fieldSelector=spec.nodeName%3D${FIXTURE_NODE}%2Cstatus.phase%21%3DSucceeded%2Cstatus.phase%21%3DFailed`
const METADATA_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
const pod = (name: string) => `/api/v1/namespaces/${NS}/pods/${name}`
const podStatus = (name: string) => `${pod(name)}/status?fieldManager=picokubelet`

/** A request laid out as the firmware (and the recorded sequence) sends it; no token: an admin's. */
function http(method: string, path: string, opts: { kubelet?: boolean; accept?: string; contentType?: string; body?: unknown } = {}): Buffer {
    const lines = [`${method} ${path} HTTP/1.1`, "Host: localhost:6443", "User-Agent: picokubelet/0.1", `Accept: ${opts.accept ?? "application/json"}`]
    if (opts.kubelet !== false) lines.push(`Authorization: Bearer ${PLACEHOLDER_TOKEN}`)
    let payload = ""
    if (opts.body !== undefined) {
        payload = JSON.stringify(opts.body)
        lines.push(`Content-Type: ${opts.contentType ?? "application/json"}`, `Content-Length: ${Buffer.byteLength(payload)}`)
    }
    return Buffer.from(lines.join("\r\n") + "\r\n\r\n" + payload, "latin1")
}

function podManifest(name: string, container: string, image: string, extra: { node?: string; restartPolicy?: string; annotations?: Record<string, string> } = {}) {
    const metadata: Record<string, unknown> = { name, namespace: NS }
    if (extra.annotations) metadata.annotations = extra.annotations
    const spec: Record<string, unknown> = { nodeName: extra.node ?? FIXTURE_NODE, tolerations: [{ operator: "Exists" }] }
    if (extra.restartPolicy) spec.restartPolicy = extra.restartPolicy
    spec.containers = [{ name: container, image }]
    return { apiVersion: "v1", kind: "Pod", metadata, spec }
}

const running = (uid: string, container: string, image: string) => ({
    metadata: { uid },
    status: {
        phase: "Running",
        startTime: STARTED,
        hostIP: IP,
        hostIPs: [{ ip: IP }],
        podIP: IP,
        podIPs: [{ ip: IP }],
        conditions: ["PodReadyToStartContainers", "Initialized", "ContainersReady", "Ready"].map(type => ({
            type,
            status: "True",
            lastTransitionTime: STARTED,
        })),
        containerStatuses: [
            {
                name: container,
                image,
                imageID: `pretend://${image}`,
                ready: true,
                started: true,
                restartCount: 0,
                state: { running: { startedAt: STARTED } },
            },
        ],
    },
})

/** Succeeded (a finished Job's pod), or with no phase the containers of a pod being deleted stopped. */
const finished = (uid: string, container: string, image: string, phase?: "Succeeded") => ({
    metadata: { uid },
    status: {
        ...(phase ? { phase } : {}),
        conditions: [
            { type: "PodReadyToStartContainers", status: "False", lastTransitionTime: FINISHED },
            { type: "ContainersReady", status: "False", reason: "PodCompleted", lastTransitionTime: FINISHED },
            { type: "Ready", status: "False", reason: "PodCompleted", lastTransitionTime: FINISHED },
        ],
        containerStatuses: [
            {
                name: container,
                image,
                imageID: `pretend://${image}`,
                ready: false,
                started: false,
                restartCount: 0,
                state: { terminated: { exitCode: 0, reason: "Completed", startedAt: STARTED, finishedAt: FINISHED } },
            },
        ],
    },
})

const rejected = (uid: string) => ({
    metadata: { uid },
    status: {
        phase: "Failed",
        reason: "OutOfpods",
        message: "Pod was rejected: Node didn't have enough resource: pods, requested: 1, used: 2, capacity: 2",
    },
})

const deleteOptions = (uid: string) => ({ kind: "DeleteOptions", apiVersion: "v1", gracePeriodSeconds: 0, preconditions: { uid } })

function event(involvedObject: Record<string, string>, reason: string, message: string) {
    return {
        apiVersion: "v1",
        kind: "Event",
        metadata: { generateName: `${involvedObject.name}.`, namespace: NS },
        involvedObject,
        reason,
        message,
        source: { component: "kubelet", host: FIXTURE_NODE },
        firstTimestamp: STARTED,
        lastTimestamp: STARTED,
        count: 1,
        type: "Normal",
        reportingComponent: "kubelet",
        reportingInstance: FIXTURE_NODE,
    }
}

/** What later requests quote for the continue token a paged list's reply gives; replay puts the real one in. */
export const CONTINUE_FIRST = "CONTINUE-PLACEHOLDER-FIRST-PAGE"
const CONTINUE_MIDDLE = "CONTINUE-PLACEHOLDER-MIDDLE-PAGE"
/** A token cut short, as a firmware buffer too small for one would send it: base64url of '{"v":"meta.k8s.io/v1","rv":'. */
export const TRUNCATED_CONTINUE = Buffer.from('{"v":"meta.k8s.io/v1","rv":').toString("base64url")
/** The firmware's paged listing: limit=4, the token percent-encoded (base64url needs none). */
const pagedList = (token?: string) => `${POD_LIST}&limit=4${token ? `&continue=${encodeURIComponent(token)}` : ""}`
/** Ten pods on the node, one elsewhere sorting among them (left out of every page). */
const PAGED = [...["00", "01", "02", "03", "04", "05"].map(n => `page-${n}`), "page-05-elsewhere", ...["06", "07", "08", "09"].map(n => `page-${n}`)]

const WEB = { name: "web", container: "nginx", image: "nginx:1.27" }
const JOB = { name: "job-once", container: "task", image: "busybox:1.36" }
const CROWD = { name: "crowd", container: "c", image: "busybox:1.36" }

export function podTheater(): ReplaySource[] {
    const admin = { kubelet: false }
    const smp = "application/strategic-merge-patch+json"
    return [
        {
            name: "31-admin-create-pod-web",
            uid: UID.web,
            request: http("POST", `/api/v1/namespaces/${NS}/pods`, {
                ...admin,
                body: podManifest(WEB.name, WEB.container, WEB.image, { annotations: { "picokubelet.io/show": "marquee" } }),
            }),
        },
        {
            name: "32-admin-create-pod-job",
            uid: UID.job,
            request: http("POST", `/api/v1/namespaces/${NS}/pods`, { ...admin, body: podManifest(JOB.name, JOB.container, JOB.image, { restartPolicy: "Never" }) }),
        },
        {
            name: "33-admin-create-pod-crowd",
            uid: UID.crowd,
            request: http("POST", `/api/v1/namespaces/${NS}/pods`, { ...admin, body: podManifest(CROWD.name, CROWD.container, CROWD.image) }),
        },
        {
            name: "34-admin-create-pod-elsewhere",
            uid: UID.elsewhere,
            request: http("POST", `/api/v1/namespaces/${NS}/pods`, {
                ...admin,
                body: podManifest("elsewhere", "x", "busybox:1.36", { node: "esp-node-02-fixture" }),
            }),
        },
        { name: "35-list-pods-not-terminal-three", request: http("GET", POD_LIST, { accept: METADATA_LIST }) },
        { name: "36-get-pod-web-200", request: http("GET", pod(WEB.name)) },
        { name: "37-patch-pod-web-running-200", request: http("PATCH", podStatus(WEB.name), { contentType: smp, body: running(UID.web, WEB.container, WEB.image) }) },
        { name: "38-patch-pod-job-running-200", request: http("PATCH", podStatus(JOB.name), { contentType: smp, body: running(UID.job, JOB.container, JOB.image) }) },
        {
            name: "39-patch-pod-job-succeeded-200",
            request: http("PATCH", podStatus(JOB.name), { contentType: smp, body: finished(UID.job, JOB.container, JOB.image, "Succeeded") }),
        },
        { name: "40-patch-pod-crowd-rejected-200", request: http("PATCH", podStatus(CROWD.name), { contentType: smp, body: rejected(UID.crowd) }) },
        { name: "41-list-pods-not-terminal-one", request: http("GET", POD_LIST, { accept: METADATA_LIST }) },
        {
            name: "42-post-event-pod-started-201",
            request: http("POST", `/api/v1/namespaces/${NS}/events`, {
                body: event(
                    { kind: "Pod", namespace: NS, name: WEB.name, uid: UID.web, apiVersion: "v1", fieldPath: `spec.containers{${WEB.container}}` },
                    "Started",
                    `Started container ${WEB.container}`
                ),
            }),
        },
        {
            name: "43-post-event-node-201",
            request: http("POST", `/api/v1/namespaces/${NS}/events`, {
                body: event({ kind: "Node", name: FIXTURE_NODE, uid: FIXTURE_NODE, apiVersion: "v1" }, "NodeReady", `Node ${FIXTURE_NODE} status is now: NodeReady`),
            }),
        },
        // kubectl delete pod web: no grace period given, the pod's 30 s apply
        {
            name: "44-admin-delete-pod-web-graceful",
            request: http("DELETE", pod(WEB.name), { ...admin, body: { kind: "DeleteOptions", apiVersion: "v1", propagationPolicy: "Background" } }),
        },
        { name: "45-list-pods-not-terminal-terminating", request: http("GET", POD_LIST, { accept: METADATA_LIST }) },
        { name: "46-patch-pod-web-terminated-200", request: http("PATCH", podStatus(WEB.name), { contentType: smp, body: finished(UID.web, WEB.container, WEB.image) }) },
        { name: "47-delete-pod-web-wrong-uid-409", request: http("DELETE", pod(WEB.name), { body: deleteOptions(WRONG_UID) }) },
        { name: "48-delete-pod-web-grace0-uid-200", request: http("DELETE", pod(WEB.name), { body: deleteOptions(UID.web) }) },
        { name: "49-delete-pod-web-again-404", request: http("DELETE", pod(WEB.name), { body: deleteOptions(UID.web) }) },
        { name: "50-get-pod-web-404", request: http("GET", pod(WEB.name)) },
        {
            name: "51-patch-pod-web-status-gone-404",
            request: http("PATCH", podStatus(WEB.name), { contentType: smp, body: finished(UID.web, WEB.container, WEB.image) }),
        },
        // kubectl delete pod job-once: a terminal pod goes at once, whatever its grace period
        {
            name: "52-admin-delete-pod-job-terminal",
            request: http("DELETE", pod(JOB.name), { ...admin, body: { kind: "DeleteOptions", apiVersion: "v1", propagationPolicy: "Background" } }),
        },
        { name: "53-get-pod-job-404", request: http("GET", pod(JOB.name)) },
        {
            name: "54-admin-delete-pod-crowd-terminal",
            request: http("DELETE", pod(CROWD.name), { ...admin, body: { kind: "DeleteOptions", apiVersion: "v1", propagationPolicy: "Background" } }),
        },
        // kubectl delete pod elsewhere --force --grace-period=0
        {
            name: "55-admin-force-delete-pod-elsewhere",
            request: http("DELETE", pod("elsewhere"), { ...admin, body: { kind: "DeleteOptions", apiVersion: "v1", gracePeriodSeconds: 0, propagationPolicy: "Background" } }),
        },
        { name: "56-list-pods-not-terminal-empty", request: http("GET", POD_LIST, { accept: METADATA_LIST }) },
        // what the server checks that the firmware could get wrong, on a pod as most arrive: no tolerations,
        // so DefaultTolerationSeconds adds its two (a bigger body than 31-34's)
        {
            name: "57-admin-create-pod-plain",
            uid: UID.plain,
            request: http("POST", `/api/v1/namespaces/${NS}/pods`, { ...admin, body: { apiVersion: "v1", kind: "Pod", metadata: { name: "plain", namespace: NS }, spec: { nodeName: FIXTURE_NODE, restartPolicy: "Never", containers: [{ name: "c", image: "busybox:1.36" }] } } }),
        },
        { name: "58-list-pods-bad-field-label-400", request: http("GET", `/api/v1/pods?fieldSelector=spec.node%3D${FIXTURE_NODE}`, { accept: METADATA_LIST }) },
        {
            name: "59-patch-pod-status-bad-ip-422",
            request: http("PATCH", podStatus("plain"), { contentType: smp, body: { metadata: { uid: UID.plain }, status: { podIP: "192.168.0.256" } } }),
        },
        {
            name: "60-post-event-namespace-mismatch-422",
            request: http("POST", "/api/v1/namespaces/kube-system/events", {
                body: {
                    ...event({ kind: "Pod", namespace: NS, name: "plain", uid: UID.plain, apiVersion: "v1" }, "Scheduled", "Successfully assigned"),
                    metadata: { name: "plain.namespace-mismatch", namespace: "kube-system" },
                },
            }),
        },
        { name: "61-patch-pod-plain-succeeded-200", request: http("PATCH", podStatus("plain"), { contentType: smp, body: { metadata: { uid: UID.plain }, status: { phase: "Succeeded" } } }) },
        // 1.31 takes a terminal pod back to Running: nothing guards it but the kubelet
        {
            name: "62-patch-pod-plain-succeeded-to-running-200",
            request: http("PATCH", podStatus("plain"), { contentType: smp, body: { metadata: { uid: UID.plain }, status: { phase: "Running", startTime: STARTED } } }),
        },
        {
            name: "63-admin-delete-pod-plain",
            request: http("DELETE", pod("plain"), { ...admin, body: { kind: "DeleteOptions", apiVersion: "v1", propagationPolicy: "Background" } }),
        },
        // the paged listing (64 on): a first page from the latest revision, the next ones at its revision
        ...PAGED.map((name, i) => ({
            name: `${64 + i}-admin-create-pod-${name}`,
            request: http("POST", `/api/v1/namespaces/${NS}/pods`, {
                ...admin,
                body: podManifest(name, "c", "busybox:1.36", name.endsWith("elsewhere") ? { node: "esp-node-02-fixture" } : {}),
            }),
        })),
        { name: "75-list-pods-paged-first", request: http("GET", pagedList(), { accept: METADATA_LIST }), continueToken: CONTINUE_FIRST },
        // between pages: one pod goes, one comes; the next pages still show the first page's revision
        {
            name: "76-admin-force-delete-pod-page-05",
            request: http("DELETE", pod("page-05"), { ...admin, body: { kind: "DeleteOptions", apiVersion: "v1", gracePeriodSeconds: 0, propagationPolicy: "Background" } }),
        },
        { name: "77-admin-create-pod-page-045", request: http("POST", `/api/v1/namespaces/${NS}/pods`, { ...admin, body: podManifest("page-045", "c", "busybox:1.36") }) },
        { name: "78-list-pods-paged-middle", request: http("GET", pagedList(CONTINUE_FIRST), { accept: METADATA_LIST }), continueToken: CONTINUE_MIDDLE },
        { name: "79-list-pods-paged-last", request: http("GET", pagedList(CONTINUE_MIDDLE), { accept: METADATA_LIST }) },
        { name: "80-list-pods-paged-truncated-continue-400", request: http("GET", pagedList(TRUNCATED_CONTINUE), { accept: METADATA_LIST }) },
        // a full list without selectors: remainingItemCount appears
        { name: "81-list-pods-full-unfiltered-limit", request: http("GET", `/api/v1/namespaces/${NS}/pods?limit=4`) },
    ]
}
