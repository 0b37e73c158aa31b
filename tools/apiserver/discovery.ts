// Just enough discovery for client libraries and kubectl to find the
// resources the emulator serves.
import { resources, type ResourceDef } from "./resources"

// the real control plane the 1.31 fixtures were recorded from (tools/cluster)
export const versionInfo = {
    major: "1",
    minor: "31",
    gitVersion: "v1.31.4",
    gitCommit: "a78aa47129b8539636eb86a9d00e31b2720fe06b",
    gitTreeState: "clean",
    buildDate: "2024-12-10T11:37:26Z",
    goVersion: "go1.26.8",
    compiler: "gc",
    platform: "linux/amd64",
}

function resourceList(group: string, version: string): object {
    const apiResources: object[] = []
    for (const r of resources.filter(d => d.group === group && d.version === version)) {
        apiResources.push(entry(r, r.resource, r.verbs))
        if (r.hasStatus) apiResources.push(entry(r, `${r.resource}/status`, ["get", "patch", "update"]))
    }
    return {
        kind: "APIResourceList",
        apiVersion: "v1",
        groupVersion: group ? `${group}/${version}` : version,
        resources: apiResources,
    }
}

function entry(r: ResourceDef, name: string, verbs: string[]): object {
    const e: Record<string, unknown> = { name, singularName: "", namespaced: r.namespaced, kind: r.kind, verbs }
    if (r.shortNames && !name.includes("/")) e.shortNames = r.shortNames
    return e
}

const groupVersions = (group: string) => {
    const gv = { groupVersion: `${group}/v1`, version: "v1" }
    return { name: group, versions: [gv], preferredVersion: gv }
}

/** The discovery document at `path`, or undefined when it is not one. */
export function discovery(path: string, serverAddress: string): object | undefined {
    const p = path.replace(/\/$/, "")
    const groups = [...new Set(resources.map(r => r.group).filter(g => g))]
    if (p === "/api")
        return {
            kind: "APIVersions",
            versions: ["v1"],
            serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }],
        }
    if (p === "/apis") return { kind: "APIGroupList", apiVersion: "v1", groups: groups.map(groupVersions) }
    if (p === "/api/v1") return resourceList("", "v1")
    for (const g of groups) {
        if (p === `/apis/${g}`) return { kind: "APIGroup", apiVersion: "v1", ...groupVersions(g) }
        if (p === `/apis/${g}/v1`) return resourceList(g, "v1")
    }
    return undefined
}
