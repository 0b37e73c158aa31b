// npx tsx tools/apiserver/main.ts [--port 6443] [--http] [--host 127.0.0.1] [--data-dir DIR] [--grace 40]
import { parseArgs } from "node:util"
import { startApiServer } from "./index"

async function main(): Promise<void> {
    const { values } = parseArgs({
        options: {
            port: { type: "string", default: "6443" },
            host: { type: "string", default: "127.0.0.1" },
            http: { type: "boolean", default: false },
            "data-dir": { type: "string" },
            grace: { type: "string", default: "40" },
        },
    })
    const server = await startApiServer({
        port: Number(values.port),
        host: values.host,
        tls: !values.http,
        dataDir: values["data-dir"],
        gracePeriodSeconds: Number(values.grace),
    })
    console.log(`  CA:          ${server.caFile ?? "(plain HTTP, none)"}`)
    console.log(`  kubeconfig:  ${server.kubeconfigFile}   (admin; KUBECONFIG=... kubectl get nodes -o wide)`)
    console.log(`  tokens:      ${server.tokensFile}   (bootstrap, jwt, admin)`)
    let stopping = false
    const stop = async (signal: string) => {
        if (stopping) return
        stopping = true
        console.log(`\n${signal}: stopping`)
        await server.stop()
        process.exit(0)
    }
    process.on("SIGINT", () => void stop("SIGINT"))
    process.on("SIGTERM", () => void stop("SIGTERM"))
}

main().catch(e => {
    console.error(e)
    process.exit(1)
})
