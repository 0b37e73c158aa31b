// One HTTP request in, one reply out: authentication, authorization, routing
// and the REST verbs. No sockets here; server.ts does the wire.
import { randomBytes, randomUUID } from "node:crypto"
import type { User } from "./auth"
import { discovery, versionInfo } from "./discovery"
import { managerName } from "./fields"
import { jsonPatch, mergePatch, PatchError, strategicMergePatch, type Json } from "./patch"
import { allowedPath, allowedResource, isAdmin, type Grant } from "./rbac"
import { apiVersionOf, type ResourceDef } from "./resources"
import {
    alreadyExists, ApiError, badRequest, internalError, conflict, failure, forbidden, invalid, invalidPatch, invalidValue, methodNotAllowed,
    notFound, pathNotFound, success, unauthorized, unsupportedMediaType,
} from "./status"
import { Compacted, FutureRevision, keyOf, rfc3339, type Obj, type Store } from "./store"
import { continueExpired, decodeContinue, encodeContinue, futureRevision, page, parseLimit } from "./paging"
import { decodeError } from "./validation"
import { NODE_COLUMNS, nodeCells } from "./printers"
import {
    deleteOptions, jsonBody, parseResourcePath, patchType, selector, type ApiRequest, type Target,
} from "./request"
import { MEDIA_TYPES, negotiate, noConversion, producesFor, resourceScope, routeAccepts, type Convert, type MediaType } from "./negotiation"
import { PROTOBUF, protobufSchema } from "./protobuf"

export type { ApiRequest } from "./request"

export interface ApiReply {
    code: number
    /** Everything but Date and the framing headers. */
    headers: Record<string, string>
    body: Buffer
}

// API Priority and Fairness answers with the uids of the flow schema and
// priority level that admitted the request; admins ride the exempt ones.
const flowSchemas = {
    exempt: { flow: randomUUID(), level: randomUUID() },
    global: { flow: randomUUID(), level: randomUUID() },
}

export class Api {
    /** Content-Type of the reply being made. */
    private contentType = "application/json"

    constructor(
        private store: Store,
        private authenticate: (authorization: string | undefined) => User | undefined,
        private grants: Grant[],
        private now: () => number,
        private serverAddress: () => string
    ) {}

    /** `injected`: an error to answer with instead of handling (fault injection). */
    handle(req: ApiRequest, injected?: ApiError): ApiReply {
        const headers: Record<string, string> = {
            "Audit-Id": randomUUID(),
            "Cache-Control": "no-cache, private",
            "Content-Type": "application/json",
        }
        const user = this.authenticate(req.headers.authorization)
        try {
            if (!user) throw unauthorized()
            const fs = isAdmin(user) ? flowSchemas.exempt : flowSchemas.global
            headers["X-Kubernetes-Pf-Flowschema-Uid"] = fs.flow
            headers["X-Kubernetes-Pf-Prioritylevel-Uid"] = fs.level
            if (injected) throw injected
            this.contentType = "application/json"
            const [code, body] = this.route(req, user)
            headers["Content-Type"] = this.contentType
            return { code, headers, body }
        } catch (e) {
            // a bug here must reach the test as a 500, not take the server down
            const err = e instanceof ApiError ? e : internalError(e)
            Object.assign(headers, err.headers)
            const { code, contentType, body } = errorBody(req, err)
            headers["Content-Type"] = contentType
            return { code, headers, body }
        }
    }

    /** An object in the negotiated encoding. */
    private encodeAs(media: MediaType, obj: Obj): Buffer {
        this.contentType = media.contentType
        return media.encoding === "protobuf" ? protobufSchema().encode(obj) : encode(obj)
    }

    private route(req: ApiRequest, user: User): [number, Buffer] {
        const url = new URL(req.target, "http://x")
        const path = url.pathname
        const target = parseResourcePath(req.method, path, url.searchParams)
        if (!target) {
            if (!allowedPath(user, path)) throw forbiddenPath(user, req.method, path)
            if (req.method !== "GET") throw methodNotAllowed()
            if (path === "/version" || path === "/version/")
                return [200, Buffer.from(JSON.stringify(versionInfo, null, 2))]
            if (path === "/healthz" || path === "/livez" || path === "/readyz") {
                this.contentType = "text/plain; charset=utf-8"
                return [200, Buffer.from("ok")]
            }
            const doc = discovery(path, this.serverAddress())
            if (!doc) throw pathNotFound()
            return [200, encode(doc)]
        }
        if (!allowedResource(this.grants, user, target)) {
            throw forbidden(user.name, target.verb, target, target.namespace, target.name, target.subresource)
        }
        const def = target.def
        if (!def || (target.subresource && (target.subresource !== "status" || !def.hasStatus))) throw pathNotFound()
        // go-restful's route choice: the PATCH route consumes patch types only, then Accept must name a type it produces
        if (req.method === "PATCH" && !patchType(req)) throw unsupportedMediaType()
        const produces = producesFor(target.verb)
        if (!routeAccepts(req.headers.accept, produces)) throw notAcceptableRoute(req, produces)
        // the handler's negotiation: the Table printer is the emulator's for nodes only
        const media = negotiate(req.headers.accept, resourceScope(def.resource === "nodes"), "v1")
        if (!media) throw notAcceptable(`only the following media types are accepted: ${MEDIA_TYPES.join(", ")}`)
        const manager = managerName(target.query.get("fieldManager"), req.headers["user-agent"])
        const reply = (code: number, obj: Obj): [number, Buffer] => [code, this.encodeAs(media, this.transform(def, obj, media.convert))]
        switch (target.verb) {
            case "get":
                return reply(200, this.mustGet(def, target))
            case "list":
                return reply(200, this.list(def, target))
            case "create":
                return reply(201, this.create(def, target, jsonBody(req), manager))
            case "update":
                return reply(200, this.update(def, target, jsonBody(req), manager))
            case "patch":
                return reply(200, this.patch(def, target, req, manager))
            case "delete":
                return reply(200, this.delete(def, target, req))
            default:
                throw methodNotAllowed()
        }
    }

    /**
     * transformResponseObject: what as=, g= and v= ask of any verb's reply.
     * A Status is never converted; a list is no PartialObjectMetadata nor an
     * object a PartialObjectMetadataList, and the message names the internal
     * Go type, as upstream's %T does.
     */
    private transform(def: ResourceDef, obj: Obj, convert: Convert | undefined): Obj {
        if (!convert || obj.kind === "Status") return obj
        const isList = Array.isArray(obj.items)
        const goType = `*${def.group ? def.group.split(".")[0] : "core"}.${def.kind}${isList ? "List" : ""}`
        const apiVersion = `${convert.group}/${convert.version}`
        const partial = (o: Obj) => ({ kind: "PartialObjectMetadata", apiVersion, metadata: o.metadata })
        if (convert.kind === "Table") return isList ? this.table(obj.items, obj.metadata) : this.table([obj])
        if (convert.kind === "PartialObjectMetadata") {
            if (isList) throw notAcceptable(`you requested PartialObjectMetadata, but the requested object is a list (${goType})`)
            return partial(obj)
        }
        if (!isList) throw notAcceptable(`you requested PartialObjectMetadataList, but the requested object is not a list (${goType})`)
        // the conversion leaves an empty list's items a nil slice: null, where a full list has []
        const items = obj.items.length > 0 ? obj.items.map(partial) : null
        return { kind: "PartialObjectMetadataList", apiVersion, metadata: obj.metadata, items }
    }

    private gr = (def: ResourceDef) => ({ group: def.group, resource: def.resource })

    private mustGet(def: ResourceDef, t: Target): Obj {
        const obj = this.store.get(def.resource, t.namespace, t.name)
        if (!obj) throw notFound(this.gr(def), t.name)
        return obj
    }

    /** What `kubectl get nodes` asks for: server-side printed rows. */
    private table(nodes: Obj[], metadata: Obj = { resourceVersion: this.store.resourceVersion }): Obj {
        return {
            kind: "Table",
            apiVersion: "meta.k8s.io/v1",
            metadata,
            columnDefinitions: NODE_COLUMNS.map(c => ({ name: c.name, type: "string", format: c.name === "Name" ? "name" : "", description: c.description, priority: c.priority })),
            rows: nodes.map(n => ({
                cells: nodeCells(n, this.now()),
                object: { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: n.metadata },
            })),
        }
    }

    /**
     * A list, paged by ?limit= and ?continue= as tools/apiserver/paging.ts
     * describes: the first page at the latest revision, the next ones at the
     * revision the token carries.
     */
    private list(def: ResourceDef, t: Target): Obj {
        const limit = parseLimit(t.query)
        const select = selector(t.query, def.fieldLabels)
        const unfiltered = !t.query.get("fieldSelector") && !t.query.get("labelSelector")
        const ns = def.namespaced && t.namespace ? t.namespace : undefined
        const token = t.query.get("continue") || undefined
        const rvParam = t.query.get("resourceVersion") ?? ""
        // a key below the list's prefix
        const relative = (o: Obj) => (ns ? o.metadata.name : keyOf(o))
        let rev = Number(this.store.resourceVersion)
        let objects: Obj[]
        if (token) {
            const c = decodeContinue(token)
            if (rvParam !== "" && rvParam !== "0") throw badRequest("specifying resource version is not allowed when using continue")
            if (c.rv > 0) rev = c.rv
            try {
                objects = this.store.listAt(def.resource, rev, ns).filter(o => relative(o) >= c.start)
            } catch (e) {
                if (e instanceof Compacted) throw continueExpired(c.start)
                if (e instanceof FutureRevision) throw futureRevision()
                throw e
            }
        } else objects = this.store.list(def.resource, ns)
        // resourceVersion=0 without a token: the watch cache answers, whole, whatever the limit
        const paged = page(objects, relative, select, rvParam === "0" && !token ? 0 : limit)
        const metadata: Obj = { resourceVersion: String(rev) }
        if (paged.lastKey !== undefined) {
            // the watch cache's key (first page) has a leading "/", etcd's (later pages) not
            metadata.continue = encodeContinue(`${token ? "" : "/"}${paged.lastKey}\u0000`, rev)
            if (unfiltered) metadata.remainingItemCount = paged.remaining
        }
        const items = paged.items.map(o => {
            const { kind: _k, apiVersion: _a, ...rest } = o
            return rest
        })
        return { kind: `${def.kind}List`, apiVersion: apiVersionOf(def), metadata, items }
    }

    /** The object a body describes, with kind and namespace settled as the server does. */
    private decodeBody(def: ResourceDef, t: Target, body: Obj): Obj {
        if (typeof body !== "object" || body === null || Array.isArray(body))
            throw badRequest(`${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: expected an object`)
        const err = decodeError(body)
        if (err) throw badRequest(`${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: ${err}`)
        const obj: Obj = { ...body, kind: def.kind, apiVersion: apiVersionOf(def) }
        obj.metadata = { ...(body.metadata ?? {}) }
        if (def.namespaced) {
            if (obj.metadata.namespace && obj.metadata.namespace !== t.namespace)
                throw badRequest("the namespace of the provided object does not match the namespace sent on the request")
            obj.metadata.namespace = t.namespace
        } else delete obj.metadata.namespace
        return obj
    }

    private validate(def: ResourceDef, obj: Obj): void {
        const causes = def.validate(obj)
        if (causes.length > 0) throw invalid(def.kind, def.group, obj.metadata?.name ?? "", causes)
    }

    /** What decoding into the typed object does: defaults appear. */
    private decode(def: ResourceDef, obj: Obj): void {
        def.normalize?.(obj)
    }

    private create(def: ResourceDef, t: Target, body: Obj, manager: string): Obj {
        if (t.name) throw methodNotAllowed()
        const obj = this.decodeBody(def, t, body)
        // a base longer than 58 characters is cut, so that the name fits 63
        if (!obj.metadata.name && obj.metadata.generateName)
            obj.metadata.name = String(obj.metadata.generateName).slice(0, 58) + generatedSuffix()
        this.validate(def, obj)
        if (this.store.get(def.resource, t.namespace, obj.metadata.name)) throw alreadyExists(this.gr(def), obj.metadata.name)
        def.prepareCreate?.(obj)
        this.decode(def, obj)
        const intent = structuredClone(obj)
        def.admit?.(obj)
        return this.store.create(def.resource, obj, { manager, apiVersion: apiVersionOf(def), intent, ownsNoStatus: def.hasStatus })
    }

    private update(def: ResourceDef, t: Target, body: Obj, manager: string): Obj {
        const obj = this.decodeBody(def, t, body)
        if (obj.metadata.name !== t.name)
            throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${t.name})`)
        const before = this.mustGet(def, t)
        return this.write(def, t, before, obj, manager)
    }

    private patch(def: ResourceDef, t: Target, req: ApiRequest, manager: string): Obj {
        const type = patchType(req)
        if (!type) throw unsupportedMediaType()
        let patch: Json
        try {
            patch = JSON.parse(req.body.toString("utf8"))
        } catch (e) {
            throw badRequest(`error decoding patch: ${(e as Error).message}`)
        }
        const before = this.mustGet(def, t)
        let patched: Obj
        try {
            if (type === "json") patched = jsonPatch(before, patch) as Obj
            else if (type === "merge") patched = mergePatch(before, patch) as Obj
            else patched = strategicMergePatch(before, patch) as Obj
        } catch (e) {
            if (!(e instanceof PatchError)) throw e
            // what NewGenericServerResponse makes of a patch that does not apply
            throw new ApiError(
                422,
                failure(422, "Invalid", "the server rejected our request due to an error in our request", {
                    causes: [{ reason: "UnexpectedServerResponse", message: e.message }],
                })
            )
        }
        const err = decodeError(patched)
        if (err) {
            const { apiVersion, kind, ...rest } = patched
            throw invalidPatch({ apiVersion, kind, ...rest }, err)
        }
        return this.write(def, t, before, { ...patched, kind: def.kind, apiVersion: apiVersionOf(def) }, manager)
    }

    /** The shared tail of PUT and PATCH: preconditions, subresource rules, validation, store. */
    private write(def: ResourceDef, t: Target, before: Obj, after: Obj, manager: string): Obj {
        const meta = after.metadata ?? {}
        after.metadata = meta
        if (meta.uid !== undefined && meta.uid !== before.metadata.uid) {
            const cause = invalidValue("metadata.uid", meta.uid, "field is immutable")
            // pods/status validation runs the metadata check twice, and says so twice
            const causes = def.resource === "pods" && t.subresource === "status" ? [cause, cause] : [cause]
            throw invalid(def.kind, def.group, t.name, causes)
        }
        if (meta.resourceVersion !== undefined && meta.resourceVersion !== before.metadata.resourceVersion)
            throw conflict(this.gr(def), t.name, "the object has been modified; please apply your changes to the latest version and try again")
        if (def.hasStatus) {
            if (t.subresource === "status") after.spec = before.spec
            else after.status = before.status
        }
        if (after.spec === undefined) delete after.spec
        if (after.status === undefined) delete after.status
        this.decode(def, after)
        this.validate(def, { ...after, metadata: { ...meta, name: t.name } })
        return this.store.update(def.resource, before, after, {
            manager,
            apiVersion: apiVersionOf(def),
            subresource: t.subresource,
        })
    }

    private delete(def: ResourceDef, t: Target, req: ApiRequest): Obj {
        const obj = this.mustGet(def, t)
        const opts = deleteOptions(req)
        // rest.BeforeDelete checks the preconditions first and names the Kind, not the resource
        const kind = { group: def.group, resource: def.kind }
        const uid = opts.preconditions?.uid
        if (uid !== undefined && uid !== obj.metadata.uid)
            throw conflict(
                kind,
                t.name,
                `the UID in the precondition (${uid}) does not match the UID in record (${obj.metadata.uid}). The object might have been deleted and then recreated`
            )
        const rv = opts.preconditions?.resourceVersion
        if (rv !== undefined && rv !== obj.metadata.resourceVersion)
            throw conflict(
                kind,
                t.name,
                `the ResourceVersion in the precondition (${rv}) does not match the ResourceVersion in record (${obj.metadata.resourceVersion}). The object might have been modified`
            )
        if (!def.graceful) {
            this.store.remove(def.resource, obj)
            return success(this.gr(def), t.name, obj.metadata.uid)
        }
        return this.deleteGracefully(def, obj, opts.gracePeriodSeconds)
    }

    // A pod bound to a node is only marked: its kubelet finishes the deletion
    // with gracePeriodSeconds=0 once the containers are gone.
    private deleteGracefully(def: ResourceDef, pod: Obj, requested: number | undefined): Obj {
        const phase = pod.status?.phase
        const bound = Boolean(pod.spec?.nodeName) && phase !== "Succeeded" && phase !== "Failed"
        let grace = requested ?? pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30
        if (!bound) grace = 0
        const current = pod.metadata.deletionGracePeriodSeconds
        if (current !== undefined && grace >= current && grace > 0) return pod
        const now = this.now()
        pod.metadata.deletionTimestamp = rfc3339(now + grace * 1000)
        pod.metadata.deletionGracePeriodSeconds = grace
        const marked = this.store.touch(def.resource, pod)
        if (grace === 0) this.store.remove(def.resource, marked)
        return marked
    }
}

const notAcceptable = (message: string) => new ApiError(406, failure(406, "NotAcceptable", message))

/** go-restful's own 406, with what the route produces; a write without Content-Length is its 415. */
function notAcceptableRoute(req: ApiRequest, produces: string[]): ApiError {
    const available = `Available representations: ${produces.join(", ")}`
    if (["POST", "PUT", "PATCH"].includes(req.method) && req.headers["content-length"] === undefined)
        return new ApiError(415, failure(415, "UnsupportedMediaType", `415: Unsupported Media Type\n\n${available}`, {}))
    return new ApiError(406, failure(406, "NotAcceptable", `406: Not Acceptable\n\n${available}`, {}))
}

/**
 * An error as ErrorNegotiated writes it: in the type Accept asks for, no
 * conversion allowed; when nothing is acceptable so (as=... alone, say),
 * indented JSON without a newline (WriteRawJSON) rather than a second error.
 */
function errorBody(req: ApiRequest, err: ApiError): { code: number; contentType: string; body: Buffer } {
    const media = negotiate(req.headers.accept, noConversion)
    const json = { code: err.code, contentType: "application/json" }
    if (!media) return { ...json, body: Buffer.from(JSON.stringify(err.body, null, 2)) }
    if (media.encoding !== "protobuf") return { ...json, body: encode(err.body) }
    try {
        return { code: err.code, contentType: PROTOBUF, body: protobufSchema().encode(err.body) }
    } catch (e) {
        // no schema (no Go to fetch it with): said in JSON, the one encoding left
        return { code: 500, contentType: "application/json", body: encode(internalError(e).body) }
    }
}

function forbiddenPath(user: User, method: string, path: string): ApiError {
    const verb = method.toLowerCase()
    return new ApiError(
        403,
        failure(403, "Forbidden", `forbidden: User "${user.name}" cannot ${verb} path "${path}"`, {}),
        { "X-Content-Type-Options": "nosniff" }
    )
}

// names.SimpleNameGenerator: five characters of utilrand.String's alphabet (no vowels, no 0, 1, 3)
const nameAlphabet = "bcdfghjklmnpqrstvwxz2456789"
const generatedSuffix = () => Array.from(randomBytes(5), b => nameAlphabet[b % nameAlphabet.length]).join("")

export const encode = (obj: unknown) => Buffer.from(JSON.stringify(obj) + "\n")
