// npx tsx tools/cluster/main.ts [--k8s-version v1.31[.N]] [--grace SECONDS] [--node NAME ...]
// A real control plane on loopback until Ctrl-C; prints how to reach it.
import { parseArgs } from "node:util"
import { startCluster } from "./index"

async function main() {
    const { values } = parseArgs({
        options: {
            "k8s-version": { type: "string" },
            grace: { type: "string", default: "40" },
            node: { type: "string", multiple: true },
        },
    })
    const cluster = await startCluster({
        version: values["k8s-version"],
        nodeMonitorGracePeriodSeconds: Number(values.grace),
        nodeNames: values.node,
    })
    console.log(`  kube-apiserver: ${cluster.url}   (${cluster.version})`)
    console.log(`  CA:             ${cluster.caFile}`)
    console.log(`  kubeconfig:     ${cluster.kubeconfigFile}   (admin; KUBECONFIG=... kubectl get nodes -o wide)`)
    console.log(`  kubectl:        ${cluster.kubectl.path}`)
    // one identity per node: its own bootstrap token (and ServiceAccount picokubelet/<node>)
    for (const node of cluster.nodeNames)
        console.log(`  .env.local:     K3S_HOST=localhost K3S_PORT=${cluster.port} K3S_CA_FILE=${cluster.caFile} NODE_NAME=${node} K3S_TOKEN=${cluster.tokenFor(node)}`)
    console.log(`  logs:           ${cluster.dataDir}/logs`)
    let stopping = false
    const stop = async (signal: string) => {
        if (stopping) return
        stopping = true
        console.log(`\n${signal}: stopping the control plane`)
        await cluster.stop()
        process.exit(0)
    }
    process.on("SIGINT", () => void stop("SIGINT"))
    process.on("SIGTERM", () => void stop("SIGTERM"))
}

main().catch(e => {
    console.error(`cluster: ${e.message}`)
    process.exit(1)
})
