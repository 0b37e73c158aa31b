// Nodes and references for the rollout's tests: a Node as picokubelet reports
// it, shaped by the few fields a rollout reads.
import type { NodeLike } from "../../tools/rollout/node"
import { parseDigestReference } from "../../tools/rollout/reference"

export const OLD = "sha256:" + "1".repeat(64)
export const NEW = "sha256:" + "2".repeat(64)
export const OLD_REF = `127.0.0.1:5000/picokubelet/firmware@${OLD}`
export const REF = parseDigestReference(`127.0.0.1:5000/picokubelet/firmware@${NEW}`)

export interface NodeFacts {
    desired?: string
    digest?: string
    status?: string
    boot?: string
    ready?: boolean
    version?: string
}

export function node(name: string, facts: NodeFacts = {}): NodeLike {
    const annotations: Record<string, string> = {}
    if (facts.desired !== undefined) annotations["picokubelet.dev/firmware"] = facts.desired
    if (facts.digest !== undefined) annotations["picokubelet.dev/firmware-digest"] = facts.digest
    if (facts.status !== undefined) annotations["picokubelet.dev/firmware-status"] = facts.status
    return {
        metadata: { name, annotations },
        status: {
            nodeInfo: { bootID: facts.boot ?? "boot-1", osImage: `picokubelet ${facts.version ?? "0.1.0"} on DeviceScript` },
            conditions: [{ type: "Ready", status: facts.ready === false ? "False" : "True" }],
        },
    }
}
