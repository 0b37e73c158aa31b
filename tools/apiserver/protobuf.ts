// application/vnd.kubernetes.protobuf, as kube-apiserver writes it: the
// magic "k8s\0", then a runtime.Unknown whose raw field holds the object in
// the schema of Kubernetes' generated.proto files (tools/apiserver/proto-schema.ts).
//
// The bytes follow Go's generated marshalers, not protobuf's defaults: every
// field whose Go type is not a pointer is written even when it is zero (an
// empty string, 0, false, an empty message), pointers only when set, fields
// in ascending number order, map entries in sorted key order with key and
// value always written. The .proto files cannot tell a pointer from a value,
// so the Go struct declarations beside them are read for that, and for what
// JSON calls each field (JSON is what the emulator stores).
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { Field, MapField, Root, Type, type Message } from "protobufjs"
import { ensureProtoSchema, PACKAGES } from "./proto-schema"

export const PROTOBUF = "application/vnd.kubernetes.protobuf"
export const MAGIC = Buffer.from("k8s\0", "latin1")

type Json = any

interface GoField {
    /** The Go type as declared: "*int32", "[]NodeCondition", "metav1.ObjectMeta". */
    type: string
    /** JSON key; "" for an embedded struct without a name of its own. */
    json: string
    inline: boolean
    /** Undefined for fields protobuf does not carry (an inlined TypeMeta, json:"-" helpers). */
    number?: number
}

interface GoStruct {
    fields: GoField[]
    byNumber: Map<number, GoField>
}

/** `type X struct { ... }` blocks of a Go file: each field's type and tags. */
export function parseGoStructs(source: string): Map<string, GoStruct> {
    const structs = new Map<string, GoStruct>()
    for (const m of source.matchAll(/^type (\w+) struct \{\n([\s\S]*?)^\}/gm)) {
        const fields: GoField[] = []
        for (const line of m[2].split("\n")) {
            const f = /^\t(\w+ )?\s*([^\s`]+)\s+`([^`]*)`/.exec(line)
            if (!f) continue
            const json = /json:"([^"]*)"/.exec(f[3])?.[1] ?? ""
            if (json === "-" && !/protobuf:/.test(f[3])) continue
            const [jsonName, ...opts] = json.split(",")
            const proto = /protobuf:"[a-z0-9]+,(\d+),/.exec(f[3])
            fields.push({ type: f[2], json: jsonName === "-" ? "" : jsonName, inline: opts.includes("inline"), number: proto ? Number(proto[1]) : undefined })
        }
        structs.set(m[1], { fields, byNumber: new Map(fields.filter(f => f.number !== undefined).map(f => [f.number!, f])) })
    }
    return structs
}

const META = ".k8s.io.apimachinery.pkg.apis.meta.v1."

/** Go types whose marshaling is written by hand upstream: their JSON and wire forms, converted here. */
const special: Record<string, (json: Json) => Json> = {
    [META + "Time"]: json => (json == null ? {} : timestamp(json, false)),
    [META + "MicroTime"]: json => (json == null ? {} : timestamp(json, true)),
    // the zero Quantity's String() is "0"
    ".k8s.io.apimachinery.pkg.api.resource.Quantity": json => ({ string: json == null ? "0" : String(json) }),
    ".k8s.io.apimachinery.pkg.util.intstr.IntOrString": json =>
        typeof json === "string" ? { type: 1, intVal: 0, strVal: json } : { type: 0, intVal: json ?? 0, strVal: "" },
    // both hold raw JSON: what the JSON reply shows inline, compacted
    [META + "FieldsV1"]: json => (json == null ? {} : { Raw: Buffer.from(JSON.stringify(json)) }),
    ".k8s.io.apimachinery.pkg.runtime.RawExtension": json => (json == null ? {} : { raw: Buffer.from(JSON.stringify(json)) }),
}

function timestamp(s: unknown, micro: boolean): Json {
    const m = typeof s === "string" ? /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(s) : null
    if (!m) throw new Error(`${JSON.stringify(s)} is not an RFC 3339 ${micro ? "MicroTime" : "Time"}`)
    const seconds = Date.parse(m[1] + m[3]) / 1000
    // Time's JSON has whole seconds; what it stores beyond them the JSON never showed
    const nanos = micro ? Number((m[2] ?? "").slice(0, 6).padEnd(9, "0")) : 0
    return { seconds, nanos }
}

/** Go's sort.Strings: byte order of the UTF-8 encoding. */
const goStringOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b))

const zero: Record<string, Json> = { string: "", bool: false }

/** apiVersion -> the proto package of the Go types served there. */
const packages: Record<string, string> = {
    v1: ".k8s.io.api.core.v1",
    "coordination.k8s.io/v1": ".k8s.io.api.coordination.v1",
    "meta.k8s.io/v1": ".k8s.io.apimachinery.pkg.apis.meta.v1",
    "meta.k8s.io/v1beta1": ".k8s.io.apimachinery.pkg.apis.meta.v1beta1",
}

export class ProtobufSchema {
    private structs = new Map<string, GoStruct>()
    private unknown: Type

    constructor(readonly root: Root, goSources: Map<string, string>) {
        for (const [pkg, source] of goSources)
            for (const [name, s] of parseGoStructs(source)) this.structs.set(`${pkg}.${name}`, s)
        this.unknown = root.lookupType("k8s.io.apimachinery.pkg.runtime.Unknown")
    }

    /** The message type of a top-level object; undefined for kinds with no protobuf form (Table). */
    typeOf(apiVersion: string, kind: string): Type | undefined {
        // Status and the other unversioned kinds are meta/v1's whatever group they are served in
        const pkg = kind === "Status" ? packages["meta.k8s.io/v1"] : packages[apiVersion]
        const found = pkg && this.root.lookup(`${pkg}.${kind}`)
        return found instanceof Type ? found : undefined
    }

    /** The whole body: magic, then runtime.Unknown around the object. */
    encode(obj: Json): Buffer {
        const { apiVersion, kind } = obj
        const type = this.typeOf(apiVersion, kind)
        if (!type) throw new Error(`${apiVersion} ${kind} has no protobuf form`)
        return this.envelope(apiVersion, kind, type.encode(this.message(type, obj, kind)).finish())
    }

    /** Magic and runtime.Unknown around an object's encoded bytes. */
    envelope(apiVersion: string, kind: string, raw: Uint8Array): Buffer {
        const unknown = this.unknown.encode({ typeMeta: { apiVersion, kind }, raw, contentEncoding: "", contentType: "" }).finish()
        return Buffer.concat([MAGIC, unknown])
    }

    /** The envelope opened: the object's type and message (map fields as lists of {key, value}). */
    decode(body: Buffer): { apiVersion: string; kind: string; type?: Type; message?: Message; raw: Buffer } {
        if (!body.subarray(0, 4).equals(MAGIC)) throw new Error("not a Kubernetes protobuf body: no k8s\\0 magic")
        const u: Json = this.unknown.decode(body.subarray(4))
        const { apiVersion = "", kind = "" } = u.typeMeta ?? {}
        const raw = Buffer.from(u.raw ?? [])
        const type = this.typeOf(apiVersion, kind)
        return { apiVersion, kind, type, raw, message: type?.decode(raw) }
    }

    private struct(type: Type): GoStruct {
        const s = this.structs.get(type.fullName)
        if (!s) throw new Error(`no Go struct for ${type.fullName}`)
        return s
    }

    /** Go structs by the name a field's type gives (metav1.TypeMeta), for fields protobuf does not carry. */
    private structNamed(goType: string): GoStruct | undefined {
        const name = goType.replace(/^\*/, "").split(".").pop()
        for (const [full, s] of this.structs) if (full.endsWith(`.${name}`)) return s
        return undefined
    }

    /** JSON keys a struct takes, inlined structs' included. */
    private jsonKeys(type: Type | undefined, s: GoStruct, into = new Set<string>()): Set<string> {
        for (const f of s.fields) {
            if (!f.inline) into.add(f.json)
            else if (f.number !== undefined) {
                const sub = type?.fieldsById[f.number]?.resolvedType
                if (sub instanceof Type) this.jsonKeys(sub, this.struct(sub), into)
            } else {
                const sub = this.structNamed(f.type)
                if (sub) this.jsonKeys(undefined, sub, into)
            }
        }
        return into
    }

    /**
     * `json` (the emulator's stored JSON of one Go value) as protobufjs takes
     * it for `type`. `inlined`: the JSON is the enclosing struct's too (a
     * json:",inline" field), whose own keys the enclosing struct checks.
     */
    message(type: Type, json: Json, path: string, inlined = false): Json {
        const custom = special[type.fullName]
        if (custom) return custom(json)
        if (json != null && (typeof json !== "object" || Array.isArray(json))) throw new Error(`${path}: expected an object for ${type.name}`)
        const s = this.struct(type)
        if (json != null && !inlined) {
            const known = this.jsonKeys(type, s)
            for (const k of Object.keys(json)) if (!known.has(k)) throw new Error(`${path}.${k}: ${type.name} has no such field`)
        }
        const out: Json = {}
        for (const field of type.fieldsArray) {
            if (isEntryList(field)) continue
            const go = s.byNumber.get(field.id)
            if (!go) throw new Error(`${type.fullName}.${field.name}: no Go field with protobuf number ${field.id}`)
            const value = go.inline ? json : json?.[go.json]
            const at = `${path}.${go.json || field.name}`
            if (field.repeated) {
                if (value == null) continue
                if (!Array.isArray(value)) throw new Error(`${at}: expected a list`)
                out[field.name] = value.map((v, i) => this.single(field, v, `${at}[${i}]`))
            } else if (go.inline && field.resolvedType instanceof Type) {
                out[field.name] = this.message(field.resolvedType, value, path, true)
            } else if (go.type.startsWith("*") || field.type === "bytes") {
                if (value != null) out[field.name] = this.single(field, value, at)
            } else out[field.name] = this.single(field, value, at)
        }
        for (const [name, entry] of entryFields(type)) {
            const go = s.byNumber.get(entry.id)!
            const value = json?.[go.json]
            if (value == null) continue
            const entryType = entry.resolvedType as Type
            const valueField = entryType.fields.value
            out[name] = Object.keys(value)
                .sort(goStringOrder)
                .map(key => ({ key, value: this.single(valueField, value[key], `${path}.${go.json}[${key}]`) }))
        }
        return out
    }

    private single(field: Field, value: Json, path: string): Json {
        if (field.resolvedType instanceof Type) return this.message(field.resolvedType, value, path)
        if (value == null) return field.type in zero ? zero[field.type] : 0
        if (field.type === "bytes") return Buffer.from(String(value), "base64")
        const expected = field.type === "string" ? "string" : field.type === "bool" ? "boolean" : "number"
        if (typeof value !== expected) throw new Error(`${path}: expected a ${expected}, got ${JSON.stringify(value)}`)
        return value
    }
}

/** Map fields after load: repeated `<Name>Entry` messages, so that entries go out in Go's order. */
const ENTRY = Symbol("map entry list")
const isEntryList = (f: Field) => (f as Json)[ENTRY] === true
const entryFields = (type: Type): [string, Field][] => type.fieldsArray.filter(isEntryList).map(f => [f.name, f])

/**
 * protobufjs writes a map in its object's key order, and JavaScript puts
 * integer-like keys first: a list of entry messages is the same wire
 * format with the order in our hands.
 */
function rewriteMaps(root: Root): void {
    const types: Type[] = []
    const walk = (ns: { nestedArray: unknown[] }) => {
        for (const n of ns.nestedArray) {
            if (n instanceof Type) types.push(n)
            if ((n as Json).nestedArray) walk(n as Json)
        }
    }
    walk(root)
    for (const type of types)
        for (const field of type.fieldsArray) {
            if (!(field instanceof MapField)) continue
            const entry = new Type(`${field.name[0].toUpperCase()}${field.name.slice(1)}Entry`)
            entry.add(new Field("key", 1, field.keyType))
            entry.add(new Field("value", 2, field.resolvedType ? field.resolvedType.fullName : field.type))
            type.remove(field)
            type.add(entry)
            const list = new Field(field.name, field.id, entry.name, "repeated")
            ;(list as Json)[ENTRY] = true
            type.add(list)
        }
    root.resolveAll()
}

/** Loads the schema from the cache directory ensureProtoSchema filled. */
export function loadProtobufSchema(dir: string): ProtobufSchema {
    const root = new Root()
    root.resolvePath = (_origin, target) => join(dir, target)
    root.loadSync(
        PACKAGES.map(p => `${p.dir}/generated.proto`),
        { keepCase: true }
    )
    root.resolveAll()
    rewriteMaps(root)
    const goSources = new Map<string, string>()
    for (const p of PACKAGES)
        if (p.goTypes) goSources.set("." + p.dir.replaceAll("/", "."), readFileSync(join(dir, p.dir, p.goTypes), "utf8"))
    return new ProtobufSchema(root, goSources)
}

let loading: Promise<void> | undefined
let loaded: ProtobufSchema | undefined
let failed: Error | undefined

/**
 * Loads the schema once, when protobuf is first asked for: reading the
 * cached files takes some 0.1 s, fetching them on a clean machine seconds,
 * so a server that is never asked for protobuf never pays. A failure is
 * kept for the replies (500s) and the next request tries again.
 */
export function loadProtobufOnce(): Promise<void> {
    loading ??= ensureProtoSchema()
        .then(loadProtobufSchema)
        .then(
        schema => {
            loaded = schema
        },
        (e: Error) => {
            failed = e
            loading = undefined
        }
    )
    return loading
}

/** The loaded schema; throws why there is none. */
export function protobufSchema(): ProtobufSchema {
    if (loaded) return loaded
    throw failed ?? new Error("the protobuf schema is not loaded")
}
