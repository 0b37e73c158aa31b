// The validations the real server applies to what picokubelet sends, with the
// texts it uses. A 422 here is what a firmware bug would earn on a cluster.
import { isIP } from "node:net"
import { invalidValue, requiredValue, type StatusCause } from "./status"

type Obj = Record<string, any>

const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const dns1123Message =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"

export function validateName(name: unknown): StatusCause[] {
    if (typeof name !== "string" || name === "")
        return [{ ...requiredValue("metadata.name"), message: "Required value: name or generateName is required" }]
    const causes: StatusCause[] = []
    if (name.length > 253) causes.push(invalidValue("metadata.name", name, "must be no more than 253 characters"))
    if (!dns1123Subdomain.test(name)) causes.push(invalidValue("metadata.name", name, dns1123Message))
    return causes
}

const secondsLayout = "2006-01-02T15:04:05Z07:00"
const microLayout = "2006-01-02T15:04:05.000000Z07:00"

/**
 * Go's time.Parse error for metav1.Time (RFC 3339) and metav1.MicroTime
 * (exactly six fractional digits), or undefined when the value parses.
 */
export function timeError(value: unknown, micro: boolean): string | undefined {
    if (value === null || value === undefined) return undefined
    const layout = micro ? microLayout : secondsLayout
    const v = String(value)
    const fail = (rest: string, elem: string) => `parsing time ${JSON.stringify(v)} as ${JSON.stringify(layout)}: cannot parse ${JSON.stringify(rest)} as ${JSON.stringify(elem)}`
    const date = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/.exec(v)
    if (!date) return fail(v, "2006")
    let rest = v.slice(date[0].length)
    if (micro) {
        if (!/^\.\d{6}/.test(rest)) return fail(rest, ".000000")
        rest = rest.slice(7)
    } else {
        rest = rest.replace(/^\.\d+/, "")
    }
    if (!/^(Z|[+-]\d\d:\d\d)$/.test(rest)) return fail(rest, "Z07:00")
    if (Number.isNaN(Date.parse(v))) return `parsing time ${JSON.stringify(v)}: day out of range`
    return undefined
}

/** Time-typed fields, found by walking the object: the first one Go would fail to decode. */
export function decodeError(obj: Obj): string | undefined {
    const microFields = new Set(["renewTime", "acquireTime", "eventTime"])
    const timeFields = new Set([
        "creationTimestamp", "deletionTimestamp", "lastHeartbeatTime", "lastTransitionTime",
        "lastProbeTime", "startTime", "startedAt", "finishedAt", "firstTimestamp", "lastTimestamp", "timeAdded",
    ])
    const walk = (v: unknown): string | undefined => {
        if (Array.isArray(v)) {
            for (const e of v) {
                const err = walk(e)
                if (err) return err
            }
        } else if (v && typeof v === "object") {
            for (const [k, x] of Object.entries(v)) {
                if (k === "managedFields") continue
                const err = microFields.has(k) ? timeError(x, true) : timeFields.has(k) ? timeError(x, false) : walk(x)
                if (err) return err
            }
        }
        return undefined
    }
    return walk(obj)
}

const taintEffects = ["NoSchedule", "PreferNoSchedule", "NoExecute"]

export function validateNode(node: Obj): StatusCause[] {
    const causes = validateName(node.metadata?.name)
    const taints: Obj[] = node.spec?.taints ?? []
    taints.forEach((t, i) => {
        if (!t.key) causes.push(requiredValue(`spec.taints[${i}].key`))
        if (!taintEffects.includes(t.effect))
            causes.push({
                reason: "FieldValueNotSupported",
                message: `Unsupported value: ${JSON.stringify(t.effect ?? "")}: supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"`,
                field: `spec.taints[${i}].effect`,
            })
    })
    return causes
}

export function validateLease(lease: Obj): StatusCause[] {
    const causes = validateName(lease.metadata?.name)
    const d = lease.spec?.leaseDurationSeconds
    if (d !== undefined && d !== null && !(d > 0))
        causes.push(invalidValue("spec.leaseDurationSeconds", d, "must be greater than 0"))
    return causes
}

export function validatePod(pod: Obj): StatusCause[] {
    const causes = validateName(pod.metadata?.name)
    const containers: Obj[] = pod.spec?.containers ?? []
    if (containers.length === 0) causes.push(requiredValue("spec.containers"))
    containers.forEach((c, i) => {
        if (!c.name) causes.push(requiredValue(`spec.containers[${i}].name`))
        if (!c.image) causes.push(requiredValue(`spec.containers[${i}].image`))
    })
    // the internal type knows only the lists: a lone podIP or hostIP is validated as the list's first
    const status = pod.status ?? {}
    for (const [one, list] of [["podIP", "podIPs"], ["hostIP", "hostIPs"]] as const) {
        const ips: Obj[] = status[list] ?? (status[one] ? [{ ip: status[one] }] : [])
        ips.forEach((x, i) => {
            if (!isIP(String(x?.ip ?? "")))
                causes.push(invalidValue(`status.${list}[${i}]`, x?.ip, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"))
        })
    }
    return causes
}

export function validateEvent(event: Obj): StatusCause[] {
    const causes = validateName(event.metadata?.name)
    if (!event.involvedObject?.kind && !event.involvedObject?.name)
        causes.push(requiredValue("involvedObject"))
    const ns = event.involvedObject?.namespace
    if (ns && ns !== event.metadata?.namespace)
        causes.push(invalidValue("involvedObject.namespace", ns, "does not match event.namespace"))
    return causes
}
