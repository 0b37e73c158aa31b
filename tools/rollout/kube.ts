// RolloutApi over @kubernetes/client-node. The annotation goes out as a JSON
// merge patch, what `kubectl annotate` sends; null removes it. Errors become
// one line naming the server, never the credentials.
import { existsSync } from "node:fs"
import { resolve } from "node:path"
import * as k8s from "@kubernetes/client-node"
import { NodeNotFound, type RolloutApi } from "./controller"
import { FIRMWARE } from "./node"

/** What `npm start` (and the emulator alone) writes for the bundled kube-apiserver emulator. */
export const EMULATOR_KUBECONFIG = resolve(__dirname, "..", "..", ".apiserver", "admin.kubeconfig")

/** --kubeconfig, else $KUBECONFIG (a list, as kubectl reads it), else the emulator's. */
export function loadKubeConfig(file: string | undefined): k8s.KubeConfig {
    const kc = new k8s.KubeConfig()
    if (!file && process.env.KUBECONFIG) {
        kc.loadFromDefault()
    } else {
        const path = file ?? EMULATOR_KUBECONFIG
        if (!existsSync(path))
            throw new Error(`no kubeconfig at ${path}${file ? "" : " (set KUBECONFIG, pass --kubeconfig, or run npm start)"}`)
        kc.loadFromFile(path)
    }
    if (!kc.getCurrentCluster()) throw new Error("the kubeconfig has no current cluster")
    return kc
}

export function kubeApi(kc: k8s.KubeConfig): RolloutApi {
    const core = kc.makeApiClient(k8s.CoreV1Api)
    const server = kc.getCurrentCluster()!.server
    const call = async <T>(what: string, node: string | undefined, fn: () => Promise<T>): Promise<T> => {
        try {
            return await fn()
        } catch (e) {
            if (node && e instanceof k8s.ApiException && e.code === 404) throw new NodeNotFound(node)
            throw new Error(`${what}: ${describe(e, server)}`)
        }
    }
    const mergePatch = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch)
    return {
        getNode: name => call(`reading node ${name}`, name, () => core.readNode({ name })),
        listNodes: async labelSelector => (await call("listing nodes", undefined, () => core.listNode({ labelSelector }))).items,
        setFirmware: async (name, reference) => {
            const body = { metadata: { annotations: { [FIRMWARE]: reference } } }
            await call(`annotating node ${name}`, name, () => core.patchNode({ name, body }, mergePatch))
        },
    }
}

function describe(e: unknown, server: string): string {
    if (e instanceof k8s.ApiException) {
        const message = typeof e.body === "object" && e.body?.message ? e.body.message : typeof e.body === "string" ? e.body.trim() : ""
        return `${server} answered ${e.code}${message ? `: ${message}` : ""}`
    }
    const err = e as { code?: string; cause?: { code?: string; message?: string }; message?: string }
    const why = err.cause?.message ?? err.message ?? String(e)
    return `cannot reach the API server at ${server}: ${why.replace(/^request to \S+ failed, reason: /, "")}`
}
