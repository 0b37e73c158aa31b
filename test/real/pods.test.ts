import assert from "node:assert/strict"
import { after, before, describe, test } from "node:test"
import { Cluster, startCluster } from "../../tools/cluster"
import { Simulator } from "../../tools/simulator"
import { eventually } from "../harness/admin"
import { nodeSettings, startBoard } from "./harness"

// Pod theater on a real control plane: the real scheduler places the pods,
// the real Deployment, Job and DaemonSet controllers read what the kubelet
// reports, kubectl waits on it. MAX_PODS 3, pod period 2 s.

const NODE = "esp-pods-real-01"
const IP = "192.168.0.131"
const POD_S = 2
const MAX_PODS = 3
const TAINT = "picokubelet.dev/no-containers"

const placement = `
      nodeSelector:
        kubernetes.io/hostname: ${NODE}
      tolerations:
        - key: ${TAINT}
          operator: Exists
          effect: NoSchedule`

const DEPLOYMENT = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: default }
spec:
  replicas: 1
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:${placement}
      containers: [{ name: nginx, image: "nginx:1.27" }]
`

const JOB = `
apiVersion: batch/v1
kind: Job
metadata: { name: once, namespace: default }
spec:
  backoffLimit: 0
  template:
    metadata:
      annotations: { picokubelet.dev/run-seconds: "2" }
    spec:${placement}
      restartPolicy: Never
      containers: [{ name: task, image: "busybox:1.36" }]
`

// a node agent as log shippers ship: it tolerates everything
const DAEMONSET = `
apiVersion: apps/v1
kind: DaemonSet
metadata: { name: agent, namespace: default }
spec:
  selector: { matchLabels: { app: agent } }
  template:
    metadata: { labels: { app: agent } }
    spec:
      tolerations: [{ operator: Exists }]
      containers: [{ name: agent, image: "fluent/fluent-bit:3.1" }]
`

function barePod(name: string): string {
    return `
apiVersion: v1
kind: Pod
metadata: { name: ${name}, namespace: default }
spec:
  nodeName: ${NODE}
  tolerations: [{ operator: Exists }]
  containers: [{ name: c, image: "busybox:1.36" }]
`
}

describe("pod theater on a real control plane", () => {
    let cluster: Cluster
    let sim: Simulator
    const kubectl = () => cluster.kubectl
    const pod = async (name: string) => kubectl().json("get", "pod", name)

    before(async () => {
        cluster = await startCluster({ nodeNames: [NODE], nodeMonitorGracePeriodSeconds: 12, nodeMonitorPeriodSeconds: 1 })
        sim = await startBoard(cluster, nodeSettings(cluster, NODE, { MAX_PODS, POD_SECS: POD_S }), IP)
        await sim.waitForLog(/^lease: renewed #1 /, 60000)
    })
    after(async () => {
        await sim?.stop()
        await cluster?.stop()
    })

    test("a Deployment that tolerates the taint reaches Ready on the node; kubectl get pods -o wide shows the node and IP", async () => {
        await kubectl().apply(DEPLOYMENT)
        await kubectl().run("rollout", "status", "deployment/web", "--timeout=90s")
        await kubectl().run("wait", "--for=condition=Ready", "pod", "-l", "app=web", "--timeout=30s")
        const wide = await kubectl().run("get", "pods", "-l", "app=web", "-o", "wide")
        assert.match(wide, new RegExp(`\\nweb-\\S+\\s+1/1\\s+Running\\s+0\\s+\\S+\\s+${IP.replace(/\./g, "\\.")}\\s+${NODE}\\s`), wide)
    })

    test("the pod's events and the node's, as kubectl shows them", async () => {
        const events = await kubectl().run("get", "events", "--field-selector", "involvedObject.kind=Pod,source=kubelet", "-o", "custom-columns=REASON:.reason,OBJ:.involvedObject.name")
        for (const reason of ["Pulled", "Created", "Started"]) assert.match(events, new RegExp(`\\n${reason}\\s+web-`), events)
        const described = await kubectl().run("describe", "node", NODE)
        for (const reason of ["Starting", "NodeHasSufficientMemory", "NodeReady"]) assert.match(described, new RegExp(`Normal\\s+${reason}\\s`), described)
        const pods = await kubectl().run("describe", "pod", "-l", "app=web")
        assert.match(pods, /Normal\s+Started\s+\S+\s+kubelet\s+Started container nginx/)
    })

    test("kubectl logs says there is no kubelet endpoint to read logs from", async () => {
        const name = (await kubectl().run("get", "pods", "-l", "app=web", "-o", "name")).trim()
        // the API server proxies logs from the kubelet's port, where nothing listens
        await assert.rejects(kubectl().run("logs", name), /Error from server: Get "https:\/\/[^"]+:10250\/containerLogs\/default\/web-/)
    })

    test("a Job completes: its pod pretends to run, then Succeeded", async () => {
        await kubectl().apply(JOB)
        await kubectl().run("wait", "--for=condition=complete", "job/once", "--timeout=60s")
        const pods = await kubectl().json("get", "pods", "-l", "job-name=once")
        assert.deepEqual(
            pods.items.map((p: any) => [p.status.phase, p.status.containerStatuses[0].state.terminated.reason]),
            [["Succeeded", "Completed"]]
        )
    })

    test("a DaemonSet that tolerates everything runs its pod here too", async () => {
        await kubectl().apply(DAEMONSET)
        await eventually("agent pod Ready on the node", 60000, async () => {
            const pods = await kubectl().json("get", "pods", "-l", "app=agent", "--field-selector", `spec.nodeName=${NODE}`)
            const p = pods.items[0]
            return p?.status?.conditions?.find((c: any) => c.type === "Ready")?.status === "True" ? p : undefined
        })
    })

    test("MAX_PODS + 1 pods: one is rejected OutOfpods", async () => {
        // web and agent run; two more bound past the scheduler make four for three slots
        await kubectl().apply(barePod("bare-1"))
        await kubectl().apply(barePod("bare-2"))
        const phases = await eventually("both decided", 30000, async () => {
            const ph = [(await pod("bare-1")).status.phase, (await pod("bare-2")).status.phase]
            return ph.every(x => x === "Running" || x === "Failed") ? ph : undefined
        })
        assert.deepEqual([...phases].sort(), ["Failed", "Running"])
        const rejected = await pod(phases[0] === "Failed" ? "bare-1" : "bare-2")
        assert.equal(rejected.status.reason, "OutOfpods")
        const events = await kubectl().run("get", "events", "--field-selector", `involvedObject.name=${rejected.metadata.name}`)
        assert.match(events, /Warning\s+OutOfpods/)
    })

    test("kubectl delete pod returns within two periods", async () => {
        const running = (await pod("bare-1")).status.phase === "Running" ? "bare-1" : "bare-2"
        const started = Date.now()
        await kubectl().run("delete", "pod", running, "--timeout=60s")
        const took = Date.now() - started
        assert.ok(took < 2 * POD_S * 1000 + 2000, `kubectl delete took ${took} ms`)
        await sim.waitForLog(`pods: default/${running} deleted`, 5000)
    })
})
