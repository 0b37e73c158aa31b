// What `kubectl get nodes -o wide` and `kubectl describe node` would print,
// so a user without kubectl (and tests) can read the emulator's view.
import type { Obj } from "./store"

/** Go's text/tabwriter: a column is as wide as its widest cell in a run of lines. */
export function tabwrite(text: string, minwidth: number, padding: number): string {
    const lines = text.split("\n").map(l => l.split("\t"))
    const widths = lines.map(() => [] as number[])
    const format = (line0: number, line1: number, column: number): void => {
        for (let i = line0; i < line1; ) {
            if (lines[i].length - 1 <= column) {
                i++
                continue
            }
            let j = i
            let width = minwidth
            for (; j < line1 && lines[j].length - 1 > column; j++)
                width = Math.max(width, [...lines[j][column]].length + padding)
            for (let k = i; k < j; k++) widths[k][column] = width
            format(i, j, column + 1)
            i = j
        }
    }
    format(0, lines.length, 0)
    return lines
        .map((cells, i) => cells.map((c, j) => (j < cells.length - 1 ? c.padEnd(widths[i][j]) : c)).join(""))
        .join("\n")
}

/** apimachinery's duration.HumanDuration, which kubectl prints ages with. */
export function humanDuration(ms: number): string {
    const seconds = Math.floor(ms / 1000)
    if (seconds < -1) return "<invalid>"
    if (seconds < 0) return "0s"
    if (seconds < 120) return `${seconds}s`
    const minutes = Math.floor(seconds / 60)
    if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`
    if (minutes < 180) return `${minutes}m`
    const hours = Math.floor(minutes / 60)
    if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`
    if (hours < 48) return `${hours}h`
    if (hours < 24 * 8) return hours % 24 === 0 ? `${hours / 24}d` : `${Math.floor(hours / 24)}d${hours % 24}h`
    const days = Math.floor(hours / 24)
    if (hours < 24 * 365 * 2) return `${days}d`
    const years = Math.floor(days / 365)
    if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${years}y` : `${years}y${days % 365}d`
    return `${years}y`
}

const age = (timestamp: string | undefined, now: number) =>
    timestamp ? humanDuration(now - Date.parse(timestamp)) : "<unknown>"

function roles(node: Obj): string {
    const found = new Set<string>()
    for (const [k, v] of Object.entries<string>(node.metadata.labels ?? {})) {
        if (k.startsWith("node-role.kubernetes.io/") && k.length > "node-role.kubernetes.io/".length)
            found.add(k.slice("node-role.kubernetes.io/".length))
        else if (k === "kubernetes.io/role" && v) found.add(v)
    }
    return found.size ? [...found].sort().join(",") : "<none>"
}

function nodeStatus(node: Obj): string {
    const ready = (node.status?.conditions ?? []).find((c: Obj) => c.type === "Ready")
    const status = [ready ? (ready.status === "True" ? "Ready" : "NotReady") : "Unknown"]
    if (node.spec?.unschedulable) status.push("SchedulingDisabled")
    return status.join(",")
}

const address = (node: Obj, type: string) =>
    (node.status?.addresses ?? []).find((a: Obj) => a.type === type)?.address ?? "<none>"

/**
 * The node columns of kube-apiserver's table printer; priority 1 columns
 * are the ones only `-o wide` shows.
 */
export const NODE_COLUMNS: { name: string; priority: number; description: string }[] = [
    { name: "Name", priority: 0, description: "Name must be unique within a namespace." },
    { name: "Status", priority: 0, description: "The status of the node" },
    { name: "Roles", priority: 0, description: "The roles of the node" },
    { name: "Age", priority: 0, description: "CreationTimestamp is a timestamp representing the server time when this object was created." },
    { name: "Version", priority: 0, description: "Kubelet Version reported by the node." },
    { name: "Internal-IP", priority: 1, description: "List of addresses reachable to the node. Queried from cloud provider, if available." },
    { name: "External-IP", priority: 1, description: "List of addresses reachable to the node. Queried from cloud provider, if available." },
    { name: "OS-Image", priority: 1, description: "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy))." },
    { name: "Kernel-Version", priority: 1, description: "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)." },
    { name: "Container-Runtime", priority: 1, description: "Container runtime version reported by the node through runtime remote API (e.g. containerd://1.4.2)." },
]

/** One node's cells, in NODE_COLUMNS order. */
export function nodeCells(n: Obj, now: number): string[] {
    const info = n.status?.nodeInfo ?? {}
    return [
        n.metadata.name,
        nodeStatus(n),
        roles(n),
        age(n.metadata.creationTimestamp, now),
        info.kubeletVersion ?? "",
        address(n, "InternalIP"),
        address(n, "ExternalIP"),
        info.osImage || "<unknown>",
        info.kernelVersion || "<unknown>",
        info.containerRuntimeVersion || "<unknown>",
    ]
}

export function nodesWide(nodes: Obj[], now: number): string {
    const rows = [NODE_COLUMNS.map(c => c.name.toUpperCase()), ...nodes.map(n => nodeCells(n, now))]
    return tabwrite(rows.map(r => r.join("\t")).join("\n"), 6, 3) + "\n"
}

/** Go's time.RFC1123Z, in UTC. */
function rfc1123z(t: string | undefined): string {
    if (!t) return "<unset>"
    const d = new Date(t)
    return d.toUTCString().replace("GMT", "+0000")
}

function multiline(title: string, entries: string[]): string[] {
    if (entries.length === 0) return [`${title}:\t<none>`]
    return entries.map((e, i) => (i === 0 ? `${title}:\t${e}` : `\t${e}`))
}

const taintString = (t: Obj) => `${t.key}${t.value ? `=${t.value}` : ""}:${t.effect}`

export interface NodeView {
    node: Obj
    lease?: Obj
    pods: Obj[]
    events: Obj[]
    now: number
}

export function describeNode({ node, lease, pods, events, now }: NodeView): string {
    const meta = node.metadata
    const status = node.status ?? {}
    const info = status.nodeInfo ?? {}
    const out: string[] = [`Name:\t${meta.name}`, `Roles:\t${roles(node)}`]
    out.push(...multiline("Labels", Object.keys(meta.labels ?? {}).sort().map(k => `${k}=${meta.labels[k]}`)))
    out.push(...multiline("Annotations", Object.keys(meta.annotations ?? {}).sort().map(k => `${k}: ${meta.annotations[k]}`)))
    out.push(`CreationTimestamp:\t${rfc1123z(meta.creationTimestamp)}`)
    const taints = [...(node.spec?.taints ?? [])].sort((a: Obj, b: Obj) =>
        `${a.effect},${a.key}`.localeCompare(`${b.effect},${b.key}`)
    )
    out.push(...multiline("Taints", taints.map(taintString)))
    out.push(`Unschedulable:\t${Boolean(node.spec?.unschedulable)}`)
    if (lease) {
        out.push("Lease:")
        out.push(`  HolderIdentity:\t${lease.spec?.holderIdentity ?? "<unset>"}`)
        out.push(`  AcquireTime:\t${rfc1123z(lease.spec?.acquireTime)}`)
        out.push(`  RenewTime:\t${rfc1123z(lease.spec?.renewTime)}`)
    }
    const conditions: Obj[] = status.conditions ?? []
    if (conditions.length > 0) {
        out.push("Conditions:", "  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage")
        out.push("  ----\t------\t-----------------\t------------------\t------\t-------")
        for (const c of conditions)
            out.push(
                `  ${c.type} \t${c.status} \t${rfc1123z(c.lastHeartbeatTime)} \t${rfc1123z(c.lastTransitionTime)} \t${c.reason ?? ""} \t${c.message ?? ""}`
            )
    }
    out.push("Addresses:")
    for (const a of status.addresses ?? []) out.push(`  ${a.type}:\t${a.address}`)
    for (const [title, list] of [["Capacity", status.capacity], ["Allocatable", status.allocatable]] as const) {
        if (!list || Object.keys(list).length === 0) continue
        out.push(`${title}:`)
        for (const k of Object.keys(list).sort()) out.push(`  ${k}:\t${list[k]}`)
    }
    out.push("System Info:")
    const sys: [string, string][] = [
        ["Machine ID", "machineID"], ["System UUID", "systemUUID"], ["Boot ID", "bootID"],
        ["Kernel Version", "kernelVersion"], ["OS Image", "osImage"], ["Operating System", "operatingSystem"],
        ["Architecture", "architecture"], ["Container Runtime Version", "containerRuntimeVersion"],
        ["Kubelet Version", "kubeletVersion"], ["Kube-Proxy Version", "kubeProxyVersion"],
    ]
    for (const [label, key] of sys) out.push(`  ${label}:\t${info[key] ?? ""}`)
    if (node.spec?.providerID) out.push(`ProviderID:\t${node.spec.providerID}`)
    const running = pods.filter(p => p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed")
    out.push(`Non-terminated Pods:\t(${running.length} in total)`)
    out.push("  Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge")
    out.push("  ---------\t----\t\t------------\t----------\t---------------\t-------------\t---")
    for (const p of running)
        out.push(`  ${p.metadata.namespace}\t${p.metadata.name}\t\t0 (0%)\t0 (0%)\t0 (0%)\t0 (0%)\t${age(p.metadata.creationTimestamp, now)}`)
    out.push("Allocated resources:", "  (Total limits may be over 100 percent, i.e., overcommitted.)")
    out.push("  Resource\tRequests\tLimits", "  --------\t--------\t------")
    out.push("  cpu\t0 (0%)\t0 (0%)", "  memory\t0 (0%)\t0 (0%)")
    if (events.length === 0) out.push("Events:\t<none>")
    else {
        out.push("Events:", "  Type\tReason\tAge\tFrom\tMessage", "  ----\t------\t----\t----\t-------")
        const sorted = [...events].sort((a, b) => Date.parse(a.lastTimestamp ?? "") - Date.parse(b.lastTimestamp ?? ""))
        for (const e of sorted) {
            const first = age(e.firstTimestamp ?? e.eventTime, now)
            const interval = e.count > 1 ? `${age(e.lastTimestamp, now)} (x${e.count} over ${first})` : first
            const from = e.source?.component || e.reportingComponent || ""
            out.push(`  ${e.type}\t${e.reason}\t${interval}\t${from}\t${String(e.message ?? "").trim()}`)
        }
    }
    return tabwrite(out.join("\n"), 0, 2) + "\n"
}
