// The least-privilege role picokubelet's docs ask users to bind, plus the
// defaults every authenticated user gets (discovery) and cluster-admin.
import type { User } from "./auth"

export interface Attributes {
    verb: string
    group: string
    resource: string
    subresource: string
    namespace: string
    name: string
}

interface Rule {
    group: string
    resources: string[]
    verbs: string[]
    namespace?: string
}

export const kubeletRules: Rule[] = [
    { group: "", resources: ["nodes"], verbs: ["create", "get", "patch"] },
    { group: "", resources: ["nodes/status"], verbs: ["patch", "update"] },
    { group: "coordination.k8s.io", resources: ["leases"], verbs: ["create", "get", "update", "patch"], namespace: "kube-node-lease" },
    { group: "", resources: ["pods"], verbs: ["get", "list", "watch", "delete"] },
    { group: "", resources: ["pods/status"], verbs: ["patch", "update"] },
    { group: "", resources: ["events"], verbs: ["create", "patch"] },
    { group: "events.k8s.io", resources: ["events"], verbs: ["create", "patch"] },
]

const kubeletGroups = new Set(["system:bootstrappers:picokubelet", "system:serviceaccounts:kube-system"])

const publicPaths = new Set(["/version", "/version/", "/healthz", "/livez", "/readyz"])

export function isAdmin(user: User): boolean {
    return user.groups.includes("system:masters")
}

export function allowedResource(user: User, a: Attributes): boolean {
    if (isAdmin(user)) return true
    if (!user.groups.some(g => kubeletGroups.has(g))) return false
    const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource
    return kubeletRules.some(
        r =>
            r.group === a.group &&
            r.resources.includes(res) &&
            r.verbs.includes(a.verb) &&
            (r.namespace === undefined || r.namespace === a.namespace)
    )
}

/** system:discovery and system:public-info-viewer. */
export function allowedPath(user: User, path: string): boolean {
    if (publicPaths.has(path)) return true
    return user.groups.includes("system:authenticated")
}
