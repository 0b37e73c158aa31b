import { Container } from "./facts"

// Pod status reports (strategic merge PATCHes of pods/status) and the
// DeleteOptions that end a pod. Each carries metadata.uid as a
// precondition: a pod deleted and created again under the same name is
// answered 422, never written by mistake. containerStatuses has no merge
// key: every report lists every container.

/** Says plainly that no image was pulled. */
export function imageID(image: string): string {
    return "pretend://" + image
}

function condition(type: string, status: string, time: string, reason?: string): any {
    const c: any = { type, status }
    if (reason) c.reason = reason
    c.lastTransitionTime = time
    return c
}

function containerStatuses(containers: Container[], state: any, ready: boolean): any[] {
    return containers.map(c => ({
        name: c.name,
        image: c.image,
        imageID: imageID(c.image),
        ready,
        started: ready,
        restartCount: 0,
        state,
    }))
}

/** Running and Ready, at the node's address like host networking; `ip` "" when the node has none. */
export function runningBody(uid: string, containers: Container[], startTime: string, now: string, ip: string): string {
    const status: any = { phase: "Running", startTime }
    if (ip) {
        status.hostIP = ip
        status.hostIPs = [{ ip }]
        status.podIP = ip
        status.podIPs = [{ ip }]
    }
    status.conditions = [
        condition("PodReadyToStartContainers", "True", now),
        condition("Initialized", "True", now),
        condition("ContainersReady", "True", now),
        condition("Ready", "True", now),
    ]
    status.containerStatuses = containerStatuses(containers, { running: { startedAt: startTime } }, true)
    return JSON.stringify({ metadata: { uid }, status })
}

/**
 * Every container terminated with exit code 0. `phase` "Succeeded" for a
 * pod that completed, "" for one being deleted: its phase stays as it is,
 * so it stays listed until the deletion is done.
 */
export function terminatedBody(uid: string, containers: Container[], phase: string, startTime: string, now: string): string {
    const status: any = {}
    if (phase) status.phase = phase
    status.conditions = [
        condition("PodReadyToStartContainers", "False", now),
        condition("ContainersReady", "False", now, "PodCompleted"),
        condition("Ready", "False", now, "PodCompleted"),
    ]
    const terminated = { exitCode: 0, reason: "Completed", startedAt: startTime || now, finishedAt: now }
    status.containerStatuses = containerStatuses(containers, { terminated }, false)
    return JSON.stringify({ metadata: { uid }, status })
}

/** The kubelet's admission refusal when the node is full. */
export function outOfPodsMessage(capacity: number): string {
    return `Pod was rejected: Node didn't have enough resource: pods, requested: 1, used: ${capacity}, capacity: ${capacity}`
}

export function rejectedBody(uid: string, capacity: number): string {
    return JSON.stringify({ metadata: { uid }, status: { phase: "Failed", reason: "OutOfpods", message: outOfPodsMessage(capacity) } })
}

/** Delete now (the containers were reported terminated), and only the pod we saw. */
export function deleteBody(uid: string): string {
    return JSON.stringify({ kind: "DeleteOptions", apiVersion: "v1", gracePeriodSeconds: 0, preconditions: { uid } })
}
