// managedFields as the real server writes them for Update operations: the
// manager owns what its request changed; "." marks a map or list element it
// created. This makes replies (and their byte counts) look like the real ones.
import { deepEqual, type Json } from "./patch"
import { hasAtomicElements, isAlwaysPresent, isAtomicList, isGoMap, mergeKeyOf } from "./schema"

export type FieldSet = { [k: string]: FieldSet }
type Obj = { [k: string]: Json }

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v)

/** Structs the schema marks atomic: owned as a whole. */
const atomicStructs = new Set(["involvedObject"])

/** Fields changed from `before` to `after`; undefined when nothing changed. */
export function changedFields(before: Json | undefined, after: Json | undefined, field = ""): FieldSet | undefined {
    if (after === undefined) return undefined
    if (isObj(after) && !atomicStructs.has(field)) {
        const set: FieldSet = {}
        const prev = isObj(before) ? before : undefined
        if (isGoMap(field) && !prev) set["."] = {}
        for (const [k, v] of Object.entries(after)) {
            const sub = changedFields(prev?.[k], v, k)
            if (sub) set[`f:${k}`] = sub
        }
        if (Object.keys(set).length > 0) return set
        // a new empty struct ({} resources, securityContext) is still a field set
        return prev === undefined ? {} : undefined
    }
    const key = isAtomicList(field) ? undefined : mergeKeyOf(field)
    if (Array.isArray(after) && key) {
        const prev = Array.isArray(before) ? before : undefined
        const set: FieldSet = prev || isAlwaysPresent(field) ? {} : { ".": {} }
        for (const item of after) {
            if (!isObj(item)) continue
            const old = prev?.find(p => isObj(p) && deepEqual(p[key], item[key]))
            const id = `k:${JSON.stringify({ [key]: item[key] })}`
            if (hasAtomicElements(field)) {
                if (!deepEqual(old, item)) set[id] = {}
                continue
            }
            const sub = old === undefined ? { ".": {}, ...changedFields(undefined, item, field) } : changedFields(old, item, field)
            if (sub && Object.keys(sub).length > 0) set[id] = sub
        }
        return Object.keys(set).length > 0 ? set : undefined
    }
    return deepEqual(before, after) ? undefined : {}
}

function union(a: FieldSet, b: FieldSet): FieldSet {
    const out: FieldSet = { ...a }
    for (const [k, v] of Object.entries(b)) out[k] = k in out ? union(out[k], v) : v
    return out
}

/** Takes from `owned` the leaves `taken` now claims. */
function subtract(owned: FieldSet, taken: FieldSet): FieldSet {
    const out: FieldSet = {}
    for (const [k, v] of Object.entries(owned)) {
        const t = taken[k]
        if (t === undefined) out[k] = v
        else if (Object.keys(t).length > 0 && Object.keys(v).length > 0) {
            const rest = subtract(v, t)
            if (Object.keys(rest).length > 0) out[k] = rest
        }
    }
    return out
}

export interface ManagedFieldsEntry {
    manager: string
    operation: "Update"
    apiVersion: string
    time: string
    fieldsType: "FieldsV1"
    fieldsV1: FieldSet
    subresource?: string
}

/** Records that `manager` changed `changed`; returns the new managedFields list. */
export function recordUpdate(
    entries: ManagedFieldsEntry[],
    changed: FieldSet,
    manager: string,
    apiVersion: string,
    time: string,
    subresource: string
): ManagedFieldsEntry[] {
    const same = (e: ManagedFieldsEntry) =>
        e.manager === manager && e.apiVersion === apiVersion && (e.subresource ?? "") === subresource
    const out: ManagedFieldsEntry[] = []
    let mine: ManagedFieldsEntry | undefined
    for (const e of entries) {
        if (same(e)) {
            mine = { ...e, time, fieldsV1: union(e.fieldsV1, changed) }
            out.push(mine)
            continue
        }
        const rest = subtract(e.fieldsV1, changed)
        if (Object.keys(rest).length > 0) out.push({ ...e, fieldsV1: rest })
    }
    if (!mine) {
        const entry: ManagedFieldsEntry = { manager, operation: "Update", apiVersion, time, fieldsType: "FieldsV1", fieldsV1: changed }
        if (subresource) entry.subresource = subresource
        out.push(entry)
    }
    return out.sort(byEncodingOrder)
}

// the order structured-merge-diff encodes entries in: by time, then identity
function byEncodingOrder(p: ManagedFieldsEntry, q: ManagedFieldsEntry): number {
    const key = (e: ManagedFieldsEntry) => [e.operation, Date.parse(e.time), e.manager, e.apiVersion, e.subresource ?? ""] as const
    const a = key(p)
    const b = key(q)
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1
    return 0
}

/** Like the real server: the manager is the User-Agent up to its first "/". */
export function managerName(fieldManager: string | null, userAgent: string | undefined): string {
    if (fieldManager) return fieldManager
    const ua = userAgent ?? ""
    return ua.split("/")[0] || "unknown"
}
