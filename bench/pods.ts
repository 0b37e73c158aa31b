// Pods for the benchmarks, created bound to a node as the scheduler binds
// them, and shaped like a real cluster's: what `kubectl run` or a Deployment's
// template plus admission (the ServiceAccount token volume, the default
// tolerations, scheduler and DNS defaults) leave in a pod. The emulator adds
// managedFields on top, as a real API server does.
import type { ApiServer } from "../tools/apiserver"
import { adminRequest } from "../test/harness/admin"
import { RUN_SECONDS_ANNOTATION } from "../src/pods/facts"

export interface PodOptions {
    restartPolicy?: "Always" | "Never" | "OnFailure"
    /** The pretend run time of a pod that completes (the annotation). */
    runSeconds?: number
    /** The app label; pods of one app look alike. */
    app?: string
    /** As small as a pod gets (the integration tests' kind): names, images, the toleration, one label. */
    lean?: boolean
}

const apiAccess = "kube-api-access-" + "x7k2q"

function container(name: string, image: string, port: number | undefined, command?: string[]) {
    return {
        name,
        image,
        ...(command ? { command } : {}),
        imagePullPolicy: "IfNotPresent",
        ...(port ? { ports: [{ name: "http", containerPort: port, protocol: "TCP" }] } : {}),
        env: [
            { name: "POD_NAME", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.name" } } },
            { name: "LOG_LEVEL", value: "info" },
        ],
        resources: { requests: { cpu: "50m", memory: "32Mi" }, limits: { memory: "64Mi" } },
        terminationMessagePath: "/dev/termination-log",
        terminationMessagePolicy: "File",
        volumeMounts: [{ name: apiAccess, mountPath: "/var/run/secrets/kubernetes.io/serviceaccount", readOnly: true }],
    }
}

/** A two-container pod bound to `node`, as the API server stores it after admission. */
export function benchPod(name: string, node: string, opts: PodOptions = {}) {
    const app = opts.app ?? "web"
    const runSeconds: Record<string, string> = opts.runSeconds === undefined ? {} : { [RUN_SECONDS_ANNOTATION]: String(opts.runSeconds) }
    if (opts.lean)
        return {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name, namespace: "default", labels: { app }, annotations: runSeconds },
            spec: {
                nodeName: node,
                restartPolicy: opts.restartPolicy ?? "Always",
                containers: [
                    { name: "app", image: "nginx:1.27" },
                    { name: "sidecar", image: "busybox:1.36" },
                ],
                tolerations: [{ operator: "Exists" }],
            },
        }
    return {
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
            name,
            namespace: "default",
            labels: {
                app,
                "app.kubernetes.io/name": app,
                "app.kubernetes.io/part-of": "picokubelet-bench",
                "pod-template-hash": "5d8f9c7b6d",
                tier: "frontend",
            },
            annotations: { "kubectl.kubernetes.io/default-container": "app", ...runSeconds },
        },
        spec: {
            nodeName: node,
            restartPolicy: opts.restartPolicy ?? "Always",
            containers: [
                container("app", "nginx:1.27", 80),
                container("sidecar", "busybox:1.36", undefined, ["sh", "-c", "while true; do sleep 3600; done"]),
            ],
            dnsPolicy: "ClusterFirst",
            enableServiceLinks: true,
            preemptionPolicy: "PreemptLowerPriority",
            priority: 0,
            schedulerName: "default-scheduler",
            securityContext: {},
            serviceAccount: "default",
            serviceAccountName: "default",
            terminationGracePeriodSeconds: 30,
            // picokubelet's node is tainted; the other two are what admission adds to every pod
            tolerations: [
                { operator: "Exists" },
                { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
                { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
            ],
            volumes: [
                {
                    name: apiAccess,
                    projected: {
                        defaultMode: 420,
                        sources: [
                            { serviceAccountToken: { expirationSeconds: 3607, path: "token" } },
                            { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
                            { downwardAPI: { items: [{ path: "namespace", fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } }] } },
                        ],
                    },
                },
            ],
        },
    }
}

/** Creates the pod as the cluster admin; the stored pod's size in bytes (JSON). */
export async function createPod(api: ApiServer, body: { metadata: { name: string } }): Promise<number> {
    const r = await adminRequest(api, "POST", "/api/v1/namespaces/default/pods", body)
    if (r.status !== 201) throw new Error(`creating pod ${body.metadata.name}: ${r.status} ${r.json?.message ?? ""}`)
    return Buffer.byteLength(JSON.stringify(r.json))
}

/** `kubectl delete pod` (graceful: the kubelet finishes it), or at once with `now`. */
export async function deletePod(api: ApiServer, name: string, now = false): Promise<void> {
    const r = await adminRequest(api, "DELETE", `/api/v1/namespaces/default/pods/${name}${now ? "?gracePeriodSeconds=0" : ""}`)
    if (r.status !== 200 && r.status !== 404) throw new Error(`deleting pod ${name}: ${r.status} ${r.json?.message ?? ""}`)
}

export const podReady = (p: any): string | undefined => p?.status?.conditions?.find((c: any) => c.type === "Ready")?.status
export const podRunning = (p: any): boolean => p?.status?.phase === "Running" && podReady(p) === "True"
