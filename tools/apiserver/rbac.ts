// Authorization as kube-apiserver's RBAC does it, from the same manifests a
// user applies (deploy/rbac.yaml, plus any a test adds): (Cluster)Roles bound
// to groups, users and ServiceAccounts. cluster-admin (system:masters) and the
// default discovery rights every authenticated user has are built in.
// resourceNames are not enforced: the emulator serves nodes of any name, while
// the manifest names one (the real control plane's tests check them). Nor is
// deploy/pod-policy.yaml (admission, not RBAC): here a kubelet may write any
// pod, on the real server only its own node's.
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { loadAll } from "js-yaml"
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
    apiGroups: string[]
    resources: string[]
    verbs: string[]
}

/** Rules granted to the users a binding names, in one namespace or cluster-wide. */
export interface Grant {
    users: string[]
    groups: string[]
    /** Undefined for a ClusterRoleBinding. */
    namespace?: string
    rules: Rule[]
}

export const DEPLOY_RBAC = join(__dirname, "..", "..", "deploy", "rbac.yaml")

/** The grants the RoleBindings and ClusterRoleBindings of `files` make. */
export function loadGrants(files: string[]): Grant[] {
    const docs = files.flatMap(f => loadAll(readFileSync(f, "utf8")) as any[]).filter(Boolean)
    const roles = new Map<string, Rule[]>()
    for (const d of docs)
        if (d.kind === "ClusterRole" || d.kind === "Role") roles.set(`${d.kind}/${d.metadata.namespace ?? ""}/${d.metadata.name}`, d.rules ?? [])
    const grants: Grant[] = []
    for (const d of docs) {
        if (d.kind !== "ClusterRoleBinding" && d.kind !== "RoleBinding") continue
        const namespace = d.kind === "RoleBinding" ? d.metadata.namespace : undefined
        const roleNamespace = d.roleRef.kind === "Role" ? namespace : ""
        const rules = roles.get(`${d.roleRef.kind}/${roleNamespace ?? ""}/${d.roleRef.name}`)
        if (!rules) throw new Error(`${d.kind} ${d.metadata.name}: no ${d.roleRef.kind} ${d.roleRef.name} in ${files.join(", ")}`)
        const subjects: any[] = d.subjects ?? []
        grants.push({
            users: subjects
                .filter(s => s.kind === "User" || s.kind === "ServiceAccount")
                .map(s => (s.kind === "User" ? s.name : `system:serviceaccount:${s.namespace ?? namespace}:${s.name}`)),
            groups: subjects.filter(s => s.kind === "Group").map(s => s.name),
            namespace,
            rules,
        })
    }
    return grants
}

const publicPaths = new Set(["/version", "/version/", "/healthz", "/livez", "/readyz"])

export function isAdmin(user: User): boolean {
    return user.groups.includes("system:masters")
}

const matches = (list: string[], value: string) => list.includes("*") || list.includes(value)

export function allowedResource(grants: Grant[], user: User, a: Attributes): boolean {
    if (isAdmin(user)) return true
    const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource
    return grants.some(
        g =>
            (g.users.includes(user.name) || g.groups.some(group => user.groups.includes(group))) &&
            (g.namespace === undefined || g.namespace === a.namespace) &&
            g.rules.some(r => matches(r.apiGroups, a.group) && matches(r.resources, resource) && matches(r.verbs, a.verb))
    )
}

/** system:discovery and system:public-info-viewer. */
export function allowedPath(user: User, path: string): boolean {
    if (publicPaths.has(path)) return true
    return user.groups.includes("system:authenticated")
}
