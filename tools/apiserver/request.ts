// An API request read: its path as request attributes, its body, selectors,
// delete options and the negotiated shape of the reply. Pure parsing; api.ts
// decides what to do with it.
import { labelMatcher } from "./labels"
import type { Attributes } from "./rbac"
import { findResource, type ResourceDef } from "./resources"
import { badRequest, unsupportedMediaType } from "./status"
import type { Obj } from "./store"

export interface ApiRequest {
    method: string
    target: string
    /** Lower-case names. */
    headers: Record<string, string | undefined>
    body: Buffer
}

const patchTypes: Record<string, "json" | "merge" | "strategic"> = {
    "application/json-patch+json": "json",
    "application/merge-patch+json": "merge",
    "application/strategic-merge-patch+json": "strategic",
}

/** The patch flavour a request's Content-Type names; undefined for none we take. */
export function patchType(req: ApiRequest): "json" | "merge" | "strategic" | undefined {
    return patchTypes[mediaType(req.headers["content-type"])]
}

export interface Target extends Attributes {
    def?: ResourceDef
    version: string
    query: URLSearchParams
}

const mediaType = (contentType: string | undefined) => (contentType ?? "").split(";")[0].trim().toLowerCase()

export function jsonBody(req: ApiRequest): Obj {
    const type = mediaType(req.headers["content-type"])
    if (type !== "application/json" && type !== "") throw unsupportedMediaType()
    try {
        return JSON.parse(req.body.toString("utf8"))
    } catch (e) {
        throw badRequest(`the object provided is unrecognized: ${(e as Error).message}`)
    }
}

function fieldValue(obj: Obj, path: string): string {
    let v: any = obj
    for (const p of path.split(".")) v = v?.[p]
    return v === undefined || v === null ? "" : String(v)
}

/** fieldSelector (the equality forms) and labelSelector; `fieldLabels`: the field labels the resource supports. */
export function selector(query: URLSearchParams, fieldLabels: string[] = []): (o: Obj) => boolean {
    const terms = (s: string | null) =>
        (s ?? "")
            .split(",")
            .filter(Boolean)
            .map(term => {
                const m = /^([^!=]+)(==|=|!=)(.*)$/.exec(term)
                if (!m) throw badRequest(`unable to parse requirement: ${term}`)
                return { key: m[1].trim(), negate: m[2] === "!=", value: m[3].trim() }
            })
    const fields = terms(query.get("fieldSelector"))
    const supported = new Set(["metadata.name", "metadata.namespace", ...fieldLabels])
    for (const f of fields) if (!supported.has(f.key)) throw badRequest(`field label not supported: ${f.key}`)
    let labels: (labels: Record<string, string> | undefined) => boolean
    try {
        labels = labelMatcher(query.get("labelSelector") ?? "")
    } catch (e) {
        throw badRequest((e as Error).message)
    }
    return o => fields.every(f => (fieldValue(o, f.key) === f.value) !== f.negate) && labels(o.metadata.labels)
}

export function deleteOptions(req: ApiRequest): { gracePeriodSeconds?: number; preconditions?: { uid?: string; resourceVersion?: string } } {
    const q = new URL(req.target, "http://x").searchParams
    let body: Obj = {}
    if (req.body.length > 0) {
        try {
            body = JSON.parse(req.body.toString("utf8"))
        } catch (e) {
            throw badRequest(`error decoding DeleteOptions: ${(e as Error).message}`)
        }
    }
    const grace = q.get("gracePeriodSeconds")
    return {
        gracePeriodSeconds: grace !== null ? Number(grace) : body.gracePeriodSeconds,
        preconditions: body.preconditions,
    }
}

/** /api/v1/... and /apis/GROUP/VERSION/... into request attributes; undefined for other paths. */
export function parseResourcePath(method: string, path: string, query: URLSearchParams): Target | undefined {
    const parts = path.split("/").filter(Boolean)
    let group: string
    let version: string
    let rest: string[]
    if (parts[0] === "api" && parts.length >= 3) [group, version, rest] = ["", parts[1], parts.slice(2)]
    else if (parts[0] === "apis" && parts.length >= 4) [group, version, rest] = [parts[1], parts[2], parts.slice(3)]
    else return undefined
    let namespace = ""
    if (rest[0] === "namespaces" && rest.length >= 3) {
        namespace = rest[1]
        rest = rest.slice(2)
    }
    const [resource, name = "", subresource = ""] = rest
    const watch = query.get("watch") === "true" || query.get("watch") === "1"
    const verbs: Record<string, string> = {
        GET: name ? "get" : watch ? "watch" : "list",
        POST: "create",
        PUT: "update",
        PATCH: "patch",
        DELETE: name ? "delete" : "deletecollection",
    }
    const def = findResource(group, version, resource)
    return { verb: verbs[method] ?? method.toLowerCase(), group, version, resource, subresource, namespace, name, def, query }
}
