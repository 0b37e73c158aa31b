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

/** An object's etcd key below /registry/<resource>/: "<namespace>/<name>", or "<name>" for a cluster-scoped one. */
export const keyOf = (o: Obj) => (o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name)

/** etcd's order: keys byte by byte (names are ASCII, so UTF-16 code units compare the same). */
const byKey = (a: Obj, b: Obj) => {
    const [x, y] = [keyOf(a), keyOf(b)]
    return x < y ? -1 : x > y ? 1 : 0
}

/** One write, kept so that a list can be read as it was at an earlier revision (paged lists). */
interface Change {
    rev: number
    key: string
    /** The object before the write; undefined for a creation. */
    before?: Obj
}

/**
 * How many revisions of history are kept, as kine keeps 1000 behind its
 * periodic compaction: a continue token older than that gets 410 Expired.
 */
export const RETAINED_REVISIONS = 1000

/** A read at a revision history no longer covers (etcd's ErrCompacted). */
export class Compacted extends Error {}
/** A read at a revision not reached yet. */
export class FutureRevision extends Error {}

export class Store {
    private objects = new Map<string, Obj>()
    private listeners: ChangeListener[] = []
    private rv = 300
    private history: Change[] = []
    /** The oldest revision still readable. */
    private compactedRev = 0

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
        this.compact()
    }

    /** Forgets the history: reads at revisions before the current one fail as compacted. */
    compact(): void {
        this.history = []
        this.compactedRev = this.rv
    }

    /** Notes a write made at the current revision; the history stays RETAINED_REVISIONS long. */
    private record(key: string, before: Obj | undefined): void {
        this.history.push({ rev: this.rv, key, before })
        while (this.history.length > 0 && this.history[0].rev <= this.rv - RETAINED_REVISIONS) {
            this.compactedRev = this.history[0].rev
            this.history.shift()
        }
    }

    get(resource: string, ns: string, name: string): Obj | undefined {
        const o = this.objects.get(this.key(resource, ns, name))
        return o && clone(o)
    }

    /** Objects in etcd key order. */
    list(resource: string, ns?: string): Obj[] {
        const out: Obj[] = []
        for (const [k, o] of this.objects)
            if (k.startsWith(`${resource}/`) && (ns === undefined || o.metadata.namespace === ns)) out.push(clone(o))
        return out.sort(byKey)
    }

    /**
     * The list as it was at revision `rev` (etcd's ranged read WithRev), in key
     * order. Throws Compacted below the oldest kept revision, FutureRevision
     * past the current one.
     */
    listAt(resource: string, rev: number, ns?: string): Obj[] {
        if (rev > this.rv) throw new FutureRevision()
        if (rev < this.compactedRev) throw new Compacted()
        const state = new Map<string, Obj>()
        for (const [k, o] of this.objects) if (k.startsWith(`${resource}/`)) state.set(k, o)
        for (let i = this.history.length - 1; i >= 0 && this.history[i].rev > rev; i--) {
            const { key, before } = this.history[i]
            if (!key.startsWith(`${resource}/`)) continue
            if (before) state.set(key, before)
            else state.delete(key)
        }
        const out: Obj[] = []
        for (const o of state.values()) if (ns === undefined || o.metadata.namespace === ns) out.push(clone(o))
        return out.sort(byKey)
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
        const key = this.key(resource, meta.namespace ?? "", meta.name)
        this.objects.set(key, stored)
        this.record(key, undefined)
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
        const key = this.key(resource, meta.namespace ?? "", meta.name)
        this.record(key, this.objects.get(key))
        this.objects.set(key, stored)
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
        // a deletion is a revision of its own in etcd
        this.rv++
        this.record(k, stored)
        this.emit(resource, "DELETED", stored)
        return clone(stored)
    }

    /** Bumps the resourceVersion of an object whose metadata the caller changed (deletion marks). */
    touch(resource: string, obj: Obj): Obj {
        obj.metadata.resourceVersion = String(++this.rv)
        const stored = canonical(obj, obj.kind) as Obj
        const key = this.key(resource, obj.metadata.namespace ?? "", obj.metadata.name)
        this.record(key, this.objects.get(key))
        this.objects.set(key, stored)
        this.emit(resource, "MODIFIED", stored)
        return clone(stored)
    }
}
