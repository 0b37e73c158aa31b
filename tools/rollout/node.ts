// What a rollout reads from a Node: the firmware annotations the kubelet
// writes, its boot, its version and Ready. Plain functions of the object.

export const FIRMWARE = "picokubelet.dev/firmware"
export const FIRMWARE_DIGEST = "picokubelet.dev/firmware-digest"
export const FIRMWARE_STATUS = "picokubelet.dev/firmware-status"
/** Our nodes carry it; the default target of a rollout. */
export const DEFAULT_SELECTOR = "kubernetes.io/os=devicescript"

/** The parts of a v1 Node this reads (a client-node V1Node is one). */
export interface NodeLike {
    metadata?: { name?: string; annotations?: { [key: string]: string } }
    status?: {
        nodeInfo?: { bootID?: string; osImage?: string }
        conditions?: { type: string; status: string }[]
    }
}

export const nodeName = (node: NodeLike): string => node.metadata?.name ?? ""
const annotation = (node: NodeLike, key: string): string | undefined => node.metadata?.annotations?.[key]
export const desiredFirmware = (node: NodeLike) => annotation(node, FIRMWARE)
/** Empty on a factory image: nothing to compare, so undefined. */
export const reportedDigest = (node: NodeLike) => annotation(node, FIRMWARE_DIGEST) || undefined
export const firmwareStatus = (node: NodeLike) => annotation(node, FIRMWARE_STATUS) || undefined
export const bootID = (node: NodeLike) => node.status?.nodeInfo?.bootID ?? ""
export const osImage = (node: NodeLike) => node.status?.nodeInfo?.osImage ?? ""
export const isReady = (node: NodeLike) => (node.status?.conditions ?? []).some(c => c.type === "Ready" && c.status === "True")

/** The statuses that end an update without the new image running; "" for any other. */
export function refusal(status: string | undefined): string {
    return status && /^(failed|rolled back): /.test(status) ? status : ""
}
