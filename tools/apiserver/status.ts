// Errors leave the server as metav1.Status objects; the field order and the
// messages follow what kube-apiserver 1.26 sent in the recorded fixtures.

export interface GroupResource {
    group: string
    resource: string
}

export interface StatusCause {
    reason: string
    message: string
    field: string
}

export class ApiError extends Error {
    constructor(
        readonly code: number,
        readonly body: Record<string, unknown>,
        readonly headers: Record<string, string> = {}
    ) {
        super(String(body.message ?? body.reason))
    }
}

function qualified(gr: GroupResource): string {
    return gr.group ? `${gr.resource}.${gr.group}` : gr.resource
}

function details(gr: GroupResource, name?: string): Record<string, unknown> {
    const d: Record<string, unknown> = {}
    if (name !== undefined) d.name = name
    if (gr.group) d.group = gr.group
    d.kind = gr.resource
    return d
}

export function failure(
    code: number,
    reason: string,
    message: string | undefined,
    det?: Record<string, unknown>
): Record<string, unknown> {
    const s: Record<string, unknown> = {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
    }
    if (message !== undefined) s.message = message
    s.reason = reason
    if (det) s.details = det
    s.code = code
    return s
}

export function success(
    gr: GroupResource,
    name: string,
    uid: string
): Record<string, unknown> {
    return {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Success",
        details: { ...details(gr, name), uid },
    }
}

export const notFound = (gr: GroupResource, name: string) =>
    new ApiError(
        404,
        failure(404, "NotFound", `${qualified(gr)} "${name}" not found`, details(gr, name))
    )

export const alreadyExists = (gr: GroupResource, name: string) =>
    new ApiError(
        409,
        failure(409, "AlreadyExists", `${qualified(gr)} "${name}" already exists`, details(gr, name))
    )

export const conflict = (gr: GroupResource, name: string, why: string) =>
    new ApiError(
        409,
        failure(
            409,
            "Conflict",
            `Operation cannot be fulfilled on ${qualified(gr)} "${name}": ${why}`,
            details(gr, name)
        )
    )

/** `kind` is the object's Kind ("Pod"), as the real validation errors name it. */
export function invalid(
    kind: string,
    group: string,
    name: string,
    causes: StatusCause[]
): ApiError {
    // like utilerrors.NewAggregate, the message lists each distinct error once
    const distinct = [...new Set(causes.map(c => `${c.field}: ${c.message}`))]
    const summary = distinct.join(", ")
    const message = `${kind} "${name}" is invalid: ${distinct.length > 1 ? `[${summary}]` : summary}`
    const det: Record<string, unknown> = { name }
    if (group) det.group = group
    det.kind = kind
    det.causes = causes
    return new ApiError(422, failure(422, "Invalid", message, det))
}

export const invalidValue = (field: string, value: unknown, why: string): StatusCause => ({
    reason: "FieldValueInvalid",
    message: `Invalid value: ${JSON.stringify(value)}: ${why}`,
    field,
})

export const requiredValue = (field: string): StatusCause => ({
    reason: "FieldValueRequired",
    message: "Required value",
    field,
})

/** A patch that cannot be applied: the real server reports it on an unnamed object. */
export function invalidPatch(patched: unknown, why: string): ApiError {
    const value = JSON.stringify(JSON.stringify(patched))
    const cause = { reason: "FieldValueInvalid", message: `Invalid value: ${value}: ${why}`, field: "patch" }
    return new ApiError(
        422,
        failure(422, "Invalid", ` "" is invalid: patch: ${cause.message}`, { causes: [cause] })
    )
}

export function forbidden(
    user: string,
    verb: string,
    gr: GroupResource,
    namespace: string,
    name: string,
    subresource = ""
): ApiError {
    const res = subresource ? `${gr.resource}/${subresource}` : gr.resource
    const subject = name ? `${qualified(gr)} "${name}"` : qualified(gr)
    const scope = namespace ? `in the namespace "${namespace}"` : "at the cluster scope"
    const message = `${subject} is forbidden: User "${user}" cannot ${verb} resource "${res}" in API group "${gr.group}" ${scope}`
    return new ApiError(
        403,
        failure(403, "Forbidden", message, details(gr, name || undefined)),
        { "X-Content-Type-Options": "nosniff" }
    )
}

export const unauthorized = () =>
    new ApiError(401, failure(401, "Unauthorized", "Unauthorized"))

export const unsupportedMediaType = () =>
    new ApiError(
        415,
        failure(415, "UnsupportedMediaType", "415: Unsupported Media Type", {})
    )

export const methodNotAllowed = () =>
    new ApiError(
        405,
        failure(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {})
    )

export const badRequest = (message: string) =>
    new ApiError(400, failure(400, "BadRequest", message))

export const pathNotFound = () =>
    new ApiError(404, failure(404, "NotFound", "the server could not find the requested resource", {}))

export function serverFault(code: number, retryAfterSeconds?: number): ApiError {
    const known: Record<number, [string, string]> = {
        401: ["Unauthorized", "Unauthorized"],
        403: ["Forbidden", "forbidden: injected fault"],
        429: ["TooManyRequests", "Too many requests, please try again later."],
        500: ["InternalError", "Internal error occurred: injected fault"],
        503: ["ServiceUnavailable", "The server is currently unable to handle the request"],
        504: ["Timeout", "Timeout: request did not complete within the allotted timeout"],
    }
    const [reason, message] = known[code] ?? ["InternalError", `injected fault ${code}`]
    const det = retryAfterSeconds !== undefined ? { retryAfterSeconds } : undefined
    const headers: Record<string, string> =
        retryAfterSeconds !== undefined ? { "Retry-After": String(retryAfterSeconds) } : {}
    return new ApiError(code, failure(code, reason, message, det), headers)
}

export const internalError = (e: unknown) =>
    new ApiError(500, failure(500, "InternalError", `Internal error occurred: ${(e as Error)?.stack ?? String(e)}`, {
        causes: [{ message: String((e as Error)?.message ?? e) }],
    }))
