// Objects as plain JSON, keyed like etcd, with one cluster-wide
// resourceVersion counter. Every write goes through here so that
// managedFields, resourceVersion and the controllers' watches stay consistent.
import { randomUUID } from "node:crypto"
import { changedFields, recordUpdate, type FieldSet, type ManagedFieldsEntry } from "./fields"
import { deepEqual } from "./patch"
import { canonical } from "./schema"

export type Obj = Record<string, any>

export type ChangeType = "ADDED" | "MODIFIED" | "DELETED"
export type ChangeListener = (resource: string, type: ChangeType, obj: Obj) => void

export interface WriteOptions {
    manager: string
    apiVersion: string
    subresource?: string
    /** The object before admission plugins changed it: what managedFields credit the writer with. */
    intent?: Obj
}

export const rfc3339 = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z")

/** Fields that are identity or bookkeeping, never owned by a manager. */
function ownable(obj: Obj, dropStatus: boolean): Obj {
    const { kind: _k, apiVersion: _a, metadata = {}, ...rest } = obj
    const {
        name: _n, namespace: _ns, uid: _u, resourceVersion: _rv, generation: _g, creationTimestamp: _c,
        deletionTimestamp: _d, deletionGracePeriodSeconds: _dg, managedFields: _m, selfLink: _s, ...meta
    } = metadata
    const out: Obj = { ...rest }
    if (Object.keys(meta).length > 0) out.metadata = meta
    if (dropStatus) delete out.status
    return out
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v))

export class Store {
    private objects = new Map<string, Obj>()
    private listeners: ChangeListener[] = []
    private rv = 300

    constructor(private now: () => number) {}

    private key = (resource: string, ns: string, name: string) => `${resource}/${ns}/${name}`

    get resourceVersion(): string {
        return String(this.rv)
    }

    onChange(listener: ChangeListener): void {
        this.listeners.push(listener)
    }

    private emit(resource: string, type: ChangeType, obj: Obj): void {
        for (const l of this.listeners) l(resource, type, clone(obj))
    }

    /** Forgets every object (a restart without state); resourceVersions keep rising so none repeats. */
    clear(): void {
        this.objects.clear()
    }

    get(resource: string, ns: string, name: string): Obj | undefined {
        const o = this.objects.get(this.key(resource, ns, name))
        return o && clone(o)
    }

    list(resource: string, ns?: string): Obj[] {
        const out: Obj[] = []
        for (const [k, o] of this.objects)
            if (k.startsWith(`${resource}/`) && (ns === undefined || o.metadata.namespace === ns)) out.push(clone(o))
        return out.sort((a, b) => (a.metadata.namespace ?? "").localeCompare(b.metadata.namespace ?? "") || a.metadata.name.localeCompare(b.metadata.name))
    }

    /** Stores a new object: fills uid, resourceVersion, creationTimestamp, managedFields. */
    create(resource: string, obj: Obj, opts: WriteOptions & { ownsNoStatus: boolean }): Obj {
        const now = this.now()
        const meta = obj.metadata
        meta.uid = randomUUID()
        meta.resourceVersion = String(++this.rv)
        meta.creationTimestamp = rfc3339(now)
        delete meta.deletionTimestamp
        delete meta.deletionGracePeriodSeconds
        const fields = changedFields({}, ownable(opts.intent ?? obj, opts.ownsNoStatus))
        meta.managedFields = fields ? recordUpdate([], fields, opts.manager, opts.apiVersion, rfc3339(now), "") : []
        if (meta.managedFields.length === 0) delete meta.managedFields
        const stored = canonical(obj, obj.kind) as Obj
        this.objects.set(this.key(resource, meta.namespace ?? "", meta.name), stored)
        this.emit(resource, "ADDED", stored)
        return clone(stored)
    }

    /**
     * Replaces an object. Returns the stored result; when nothing changed the
     * old object comes back untouched (no new resourceVersion), as in etcd3.
     */
    update(resource: string, before: Obj, after: Obj, opts: WriteOptions): Obj {
        const meta = after.metadata
        const old = before.metadata
        // identity and bookkeeping are the server's, whatever the request said
        Object.assign(meta, {
            name: old.name,
            uid: old.uid,
            resourceVersion: old.resourceVersion,
            creationTimestamp: old.creationTimestamp,
        })
        if (old.namespace !== undefined) meta.namespace = old.namespace
        if (old.deletionTimestamp !== undefined) {
            meta.deletionTimestamp = old.deletionTimestamp
            meta.deletionGracePeriodSeconds = old.deletionGracePeriodSeconds
        }
        meta.managedFields = old.managedFields
        if (old.managedFields === undefined) delete meta.managedFields
        const candidate = canonical(after, after.kind) as Obj
        if (deepEqual(candidate, canonical(before, before.kind))) return clone(before)
        const fields: FieldSet | undefined = changedFields(ownable(before, false), ownable(candidate, false))
        const now = this.now()
        if (fields) {
            candidate.metadata.managedFields = recordUpdate(
                old.managedFields ?? [], fields, opts.manager, opts.apiVersion, rfc3339(now), opts.subresource ?? ""
            )
        }
        candidate.metadata.resourceVersion = String(++this.rv)
        const stored = canonical(candidate, candidate.kind) as Obj
        this.objects.set(this.key(resource, meta.namespace ?? "", meta.name), stored)
        this.emit(resource, "MODIFIED", stored)
        return clone(stored)
    }

    /** Marks an object for deletion (graceful delete) or removes it. */
    remove(resource: string, obj: Obj): Obj {
        const meta = obj.metadata
        const k = this.key(resource, meta.namespace ?? "", meta.name)
        const stored = this.objects.get(k)
        if (!stored) return obj
        this.objects.delete(k)
        this.emit(resource, "DELETED", stored)
        return clone(stored)
    }

    /** Bumps the resourceVersion of an object whose metadata the caller changed (deletion marks). */
    touch(resource: string, obj: Obj): Obj {
        obj.metadata.resourceVersion = String(++this.rv)
        const stored = canonical(obj, obj.kind) as Obj
        this.objects.set(this.key(resource, obj.metadata.namespace ?? "", obj.metadata.name), stored)
        this.emit(resource, "MODIFIED", stored)
        return clone(stored)
    }
}
