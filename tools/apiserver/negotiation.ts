// Accept, as kube-apiserver reads it, in its two passes: go-restful first
// picks a route whose Produces list names one of the accepted types (or the
// 406 is go-restful's own), then the handler negotiates the serializer and
// the conversion (as=, g=, v=) with apiserver's negotiation package over
// goautoneg's parse. Sources: k8s.io/apiserver v0.31.4
// pkg/endpoints/handlers/negotiation, handlers/rest.go AllowsMediaTypeTransform,
// go-restful v3.11.0 route.go matchesAccept and jsr311.go.
import { PROTOBUF } from "./protobuf"

export type Encoding = "json" | "protobuf"

export interface Convert {
    kind: string
    group: string
    version: string
}

export interface MediaType {
    encoding: Encoding
    contentType: string
    convert?: Convert
}

export interface Clause {
    type: string
    subType: string
    q: number
    params: Record<string, string>
}

/** What the serializer offers, in its order: a bare * / * or application/* takes the first. */
const SERIALIZERS: { type: string; subType: string; encoding?: Encoding; stream: boolean }[] = [
    { type: "application", subType: "json", encoding: "json", stream: true },
    // offered by the real server; the emulator writes no YAML, so a YAML clause is passed over
    { type: "application", subType: "yaml", stream: false },
    { type: "application", subType: "vnd.kubernetes.protobuf", encoding: "protobuf", stream: true },
]

export const MEDIA_TYPES = SERIALIZERS.map(s => `${s.type}/${s.subType}`)
const STREAM_MEDIA_TYPES = SERIALIZERS.filter(s => s.stream).map(s => `${s.type}/${s.subType};stream=watch`)
/** go-restful's Produces of a resource route: lists also produce the watch streams. */
export const producesFor = (verb: string) => (verb === "list" || verb === "watch" ? [...MEDIA_TYPES, ...STREAM_MEDIA_TYPES] : MEDIA_TYPES)

/** Go's strconv.ParseFloat(s, 32) as goautoneg keeps it: a syntax error reads 0. */
function parseQ(s: string): number {
    if (/^[+-]?(inf|infinity)$/i.test(s)) return s.startsWith("-") ? -Infinity : Infinity
    if (/^nan$/i.test(s)) return NaN
    if (!/^[+-]?(\d[\d_]*\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return 0
    return Math.fround(Number(s.replaceAll("_", "")))
}

const trimSpaces = (s: string) => s.replace(/^ +| +$/g, "")

/** goautoneg.ParseAccept: clauses, then Go's sort.Sort with goautoneg's (not strict) Less. */
export function parseAccept(header: string): Clause[] {
    const clauses: Clause[] = []
    for (const raw of header.split(",")) {
        const part = trimSpaces(raw)
        const [media, ...paramParts] = part.split(";")
        const slash = media.indexOf("/")
        const c: Clause = { type: trimSpaces(slash < 0 ? media : media.slice(0, slash)), subType: "", q: 1, params: {} }
        if (slash < 0) {
            if (c.type !== "*") continue
            c.subType = "*"
        } else {
            const sub = media.slice(slash + 1)
            if (sub.includes("/")) continue
            c.subType = trimSpaces(sub)
        }
        for (const p of paramParts) {
            const kv = p.split("=")
            if (kv.length !== 2) continue
            const token = trimSpaces(kv[0])
            if (token === "q") c.q = parseQ(kv[1])
            else c.params[token] = trimSpaces(kv[1])
        }
        clauses.push(c)
    }
    const less = (a: Clause, b: Clause) => a.q > b.q || (a.type !== "*" && b.type === "*") || (a.subType !== "*" && b.subType === "*")
    // sort.Sort is an insertion sort up to 12 elements; Accept headers are that short
    for (let i = 1; i < clauses.length; i++)
        for (let j = i; j > 0 && less(clauses[j], clauses[j - 1]); j--) [clauses[j], clauses[j - 1]] = [clauses[j - 1], clauses[j]]
    return clauses
}

/** Whether an endpoint serves a type with the conversion asked for (EndpointRestrictions.AllowsMediaTypeTransform). */
export type Restriction = (type: string, subType: string, convert: Convert | undefined) => boolean

/** Errors and everything that is not a resource handler: no conversions. */
export const noConversion: Restriction = (_t, _s, convert) => convert === undefined

const META_VERSIONS = new Set(["meta.k8s.io/v1", "meta.k8s.io/v1beta1"])

/** A resource handler's scope; `tables`: whether the emulator prints this resource as a Table. */
export const resourceScope =
    (tables: boolean): Restriction =>
    (type, subType, convert) => {
        if (!convert) return true
        if (!META_VERSIONS.has(`${convert.group}/${convert.version}`)) return false
        if (convert.kind === "Table") return tables && type === "application" && (subType === "json" || subType === "yaml")
        return convert.kind === "PartialObjectMetadata" || convert.kind === "PartialObjectMetadataList"
    }

/**
 * negotiation.NegotiateMediaTypeOptions; undefined: nothing acceptable (a 406).
 * `sv`: the server version a clause may name (a resource scope's "v1"; none elsewhere).
 */
export function negotiate(accept: string | undefined, allows: Restriction, sv = ""): MediaType | undefined {
    if (!accept) return { encoding: "json", contentType: "application/json" }
    for (const clause of parseAccept(accept))
        for (const s of SERIALIZERS) {
            const matches = (clause.type === s.type && (clause.subType === s.subType || clause.subType === "*")) || (clause.type === "*" && clause.subType === "*")
            if (!matches) continue
            const taken = acceptOptions(clause.params, s, allows, sv)
            // the real server would answer YAML; the emulator writes none and tries the next clause
            if (taken === false || !s.encoding) continue
            return { encoding: s.encoding, contentType: `${s.type}/${s.subType}`, convert: taken }
        }
    return undefined
}

/** acceptMediaTypeOptions: the conversion asked for, or false when this type cannot serve the clause. */
function acceptOptions(params: Record<string, string>, s: (typeof SERIALIZERS)[number], allows: Restriction, sv: string): Convert | undefined | false {
    let convert: Convert | undefined
    for (const [k, v] of Object.entries(params)) {
        if (k === "as" || k === "g" || k === "v") {
            convert ??= { kind: "", group: "", version: "" }
            if (k === "as") convert.kind = v
            else if (k === "g") convert.group = v
            else convert.version = v
        } else if (k === "stream") {
            if (v && (!s.stream || v !== "watch")) return false
        } else if (k === "sv") {
            if (v && v !== sv) return false
        }
    }
    return allows(s.type, s.subType, convert) ? convert : false
}

/** go-restful's route choice: some listed type (parameters dropped) is produced, or * / * is listed. */
export function routeAccepts(accept: string | undefined, produces: string[]): boolean {
    const types = (accept || "*/*").split(",").map(t => trimSpaces(t.split(";")[0]))
    return types.some(t => t === "*/*" || produces.includes(t))
}

export const isProtobuf = (header: string | undefined) => !!header && header.includes(PROTOBUF)
