// The three patch types kube-apiserver accepts from a kubelet. Strategic merge
// knows the merge keys of the fields picokubelet touches (schema.ts).
import { hasAtomicElements, isMergedScalarList, mergeKeyOf } from "./schema"

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json }
type Obj = { [k: string]: Json }

export class PatchError extends Error {}

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v)
const clone = <T>(v: T): T => (v === undefined ? v : JSON.parse(JSON.stringify(v)))

export function deepEqual(a: unknown, b: unknown): boolean {
    if (a === b) return true
    if (Array.isArray(a) && Array.isArray(b))
        return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]))
    if (isObj(a) && isObj(b)) {
        const ka = Object.keys(a)
        return ka.length === Object.keys(b).length && ka.every(k => k in b && deepEqual(a[k], b[k]))
    }
    return false
}

/** RFC 7386: objects merge, null deletes, anything else (lists too) replaces. */
export function mergePatch(target: Json | undefined, patch: Json): Json {
    if (!isObj(patch)) return clone(patch)
    const out: Obj = isObj(target) ? clone(target) : {}
    for (const [k, v] of Object.entries(patch)) {
        if (v === null) delete out[k]
        else out[k] = mergePatch(out[k], v)
    }
    return out
}

/** Strategic merge patch, as apimachinery's strategicpatch applies it. */
export function strategicMergePatch(target: Json | undefined, patch: Json): Json {
    if (!isObj(patch)) return clone(patch)
    const directive = patch.$patch
    if (directive === "delete") return null
    const base: Obj = directive === "replace" || !isObj(target) ? {} : clone(target)
    const orders: [string, Json[]][] = []
    for (const [k, v] of Object.entries(patch)) {
        if (k === "$patch" || k === "$retainKeys") continue
        if (k.startsWith("$setElementOrder/")) {
            if (Array.isArray(v)) orders.push([k.slice("$setElementOrder/".length), v])
            continue
        }
        if (k.startsWith("$deleteFromPrimitiveList/")) {
            const name = k.slice("$deleteFromPrimitiveList/".length)
            const drop = Array.isArray(v) ? v : []
            if (Array.isArray(base[name]))
                base[name] = (base[name] as Json[]).filter(x => !drop.some(d => deepEqual(d, x)))
            continue
        }
        if (v === null) delete base[k]
        else if (Array.isArray(v)) base[k] = mergeList(base[k], v, k)
        else base[k] = strategicMergePatch(base[k], v)
    }
    for (const [name, order] of orders) {
        if (Array.isArray(base[name])) base[name] = applyElementOrder(base[name] as Json[], order, name)
    }
    return base
}

function mergeList(target: Json | undefined, patch: Json[], field: string): Json[] {
    // a {"$patch":"replace"} element turns the whole list into a replacement
    const replace = patch.some(e => isObj(e) && e.$patch === "replace")
    const items = patch.filter(e => !(isObj(e) && e.$patch === "replace"))
    const current = Array.isArray(target) && !replace ? clone(target) : []
    if (isMergedScalarList(field)) {
        for (const v of items) if (!current.some(c => deepEqual(c, v))) current.push(clone(v))
        return current
    }
    const key = mergeKeyOf(field)
    if (!key || replace) return items.map(e => strategicMergePatch(undefined, e))
    for (const item of items) {
        if (!isObj(item)) throw new PatchError(`${field}: element ${JSON.stringify(item)} has no merge key ${key}`)
        const at = current.findIndex(c => isObj(c) && deepEqual(c[key], item[key]))
        if (item.$patch === "delete") {
            if (at >= 0) current.splice(at, 1)
        } else if (at >= 0) {
            current[at] = hasAtomicElements(field) ? clone(item) : strategicMergePatch(current[at], item)
        } else {
            current.push(strategicMergePatch(undefined, item))
        }
    }
    return current
}

// $setElementOrder lists the final order of the merge keys; items it does not
// mention keep their relative order at the end.
function applyElementOrder(list: Json[], order: Json[], field: string): Json[] {
    const key = mergeKeyOf(field)
    const idOf = (e: Json) => (key && isObj(e) ? e[key] : e)
    const pos = (e: Json) => {
        const i = order.findIndex(o => deepEqual(isObj(o) && key ? o[key] : o, idOf(e)))
        return i < 0 ? order.length : i
    }
    return list
        .map((e, i) => [e, i] as const)
        .sort((a, b) => pos(a[0]) - pos(b[0]) || a[1] - b[1])
        .map(([e]) => e)
}

interface JsonPatchOp {
    op: string
    path: string
    from?: string
    value?: Json
}

function pointer(path: string): string[] {
    if (path === "") return []
    if (!path.startsWith("/")) throw new PatchError(`invalid JSON pointer ${JSON.stringify(path)}`)
    return path
        .slice(1)
        .split("/")
        .map(s => s.replace(/~1/g, "/").replace(/~0/g, "~"))
}

function resolveParent(doc: Json, path: string): [Obj | Json[], string] {
    const parts = pointer(path)
    if (parts.length === 0) throw new PatchError(`cannot operate on the document root`)
    let cur: Json = doc
    for (const p of parts.slice(0, -1)) {
        const next: Json | undefined = Array.isArray(cur) ? cur[Number(p)] : isObj(cur) ? cur[p] : undefined
        if (next === undefined) throw new PatchError(`doc is missing path: "${path}": missing value`)
        cur = next
    }
    if (!Array.isArray(cur) && !isObj(cur)) throw new PatchError(`doc is missing path: "${path}": missing value`)
    return [cur, parts[parts.length - 1]]
}

function getAt(doc: Json, path: string): Json | undefined {
    if (path === "") return doc
    const [parent, last] = resolveParent(doc, path)
    return Array.isArray(parent) ? parent[Number(last)] : parent[last]
}

function arrayIndex(arr: Json[], last: string, forAdd: boolean, path: string): number {
    if (forAdd && last === "-") return arr.length
    const i = Number(last)
    const max = forAdd ? arr.length : arr.length - 1
    if (!/^\d+$/.test(last) || i > max) throw new PatchError(`Unable to access invalid index: ${last}: ${path}`)
    return i
}

function add(doc: Json, path: string, value: Json): void {
    const [parent, last] = resolveParent(doc, path)
    if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, true, path), 0, clone(value))
    else parent[last] = clone(value)
}

function remove(doc: Json, path: string): Json {
    const [parent, last] = resolveParent(doc, path)
    if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, last, false, path), 1)[0]
    if (!(last in parent)) throw new PatchError(`Unable to remove nonexistent key: ${last}: missing value`)
    const old = parent[last]
    delete parent[last]
    return old
}

/** RFC 6902, with the error texts of evanphx/json-patch (what the server wraps). */
export function jsonPatch(target: Json, ops: unknown): Json {
    if (!Array.isArray(ops)) throw new PatchError("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    const doc = clone(target)
    for (const o of ops as JsonPatchOp[]) {
        switch (o.op) {
            case "add":
                add(doc, o.path, o.value ?? null)
                break
            case "remove":
                remove(doc, o.path)
                break
            case "replace": {
                if (getAt(doc, o.path) === undefined)
                    throw new PatchError(`replace operation does not apply: doc is missing key: ${o.path}: missing value`)
                remove(doc, o.path)
                add(doc, o.path, o.value ?? null)
                break
            }
            case "move": {
                const v = remove(doc, o.from ?? "")
                add(doc, o.path, v)
                break
            }
            case "copy": {
                const v = getAt(doc, o.from ?? "")
                if (v === undefined) throw new PatchError(`copy from missing path: ${o.from}`)
                add(doc, o.path, v)
                break
            }
            case "test": {
                const v = getAt(doc, o.path)
                if (!deepEqual(v ?? null, o.value ?? null))
                    throw new PatchError(`testing value ${o.path} failed: test failed`)
                break
            }
            default:
                throw new PatchError(`Unexpected kind: ${o.op}`)
        }
    }
    return doc
}
