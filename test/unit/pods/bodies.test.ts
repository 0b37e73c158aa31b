import { describe, test } from "../harness"
import { expectEqual } from "../matchers"
import { eventBody, nodeSubject } from "../../../src/k8s/events"
import { deleteBody, rejectedBody, runningBody, terminatedBody } from "../../../src/pods/bodies"
import { ACCEPTED } from "./samples"

// Byte for byte what the real kube-apiserver accepted when the fixtures were recorded.

const WEB = "d603c9f0-5f75-49d7-b6ea-abf513d7ce0f"
const JOB = "f15514c6-4e86-41a0-804e-d2cc488c95b7"
const T = "2026-11-29T05:00:00Z"
const T7 = "2026-11-29T05:00:07Z"
const NGINX = [{ name: "nginx", image: "nginx:1.27" }]

describe("pod bodies, as the real server accepted them", () => {
    test("Running", () => {
        expectEqual(runningBody(WEB, NGINX, T, T, "192.168.0.111"), ACCEPTED.running)
    })
    test("Running without an address: no IPs rather than invented ones", () => {
        const status = JSON.parse(runningBody(WEB, NGINX, T, T, "")).status
        expectEqual([status.hostIP, status.podIPs, status.phase], [undefined, undefined, "Running"])
    })
    test("Succeeded, terminated for deletion, rejected, deleted", () => {
        expectEqual(terminatedBody(JOB, [{ name: "task", image: "busybox:1.36" }], "Succeeded", T, T7), ACCEPTED.succeeded)
        expectEqual(terminatedBody(WEB, NGINX, "", T, T7), ACCEPTED.terminated)
        expectEqual(rejectedBody("6eb8e480-4117-454b-91f8-947b25da1c3f", 2), ACCEPTED.rejected)
        expectEqual(deleteBody(WEB), ACCEPTED.delete)
    })
    test("events of a container and of the node", () => {
        const node = "esp-node-01-fixture"
        const container = { kind: "Pod", namespace: "default", name: "web", uid: WEB, fieldPath: "spec.containers{nginx}" }
        expectEqual(eventBody(node, container, "Normal", "Started", "Started container nginx", T), ACCEPTED.podEvent)
        expectEqual(eventBody(node, nodeSubject(node), "Normal", "NodeReady", `Node ${node} status is now: NodeReady`, T), ACCEPTED.nodeEvent)
    })
})
