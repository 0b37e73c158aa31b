// Protobuf replies for the tests, written field by field: the envelope the
// API server sends and the messages inside it, so the scanner and the
// status loop see the bytes a real server would.

/** A varint's bytes. */
function varint(n: number): number[] {
    const out: number[] = []
    while (n >= 128) {
        out.push((n % 128) | 128)
        n = Math.floor(n / 128)
    }
    out.push(n)
    return out
}

/** One length-delimited field: its tag, length and bytes. */
export function field(num: number, value: Buffer | string): Buffer {
    const v = typeof value === "string" ? Buffer.from(value) : value
    const head = varint(num * 8 + 2)
    head.pushRange(varint(v.length))
    return Buffer.from(head).concat(v)
}

/** A varint field (wire type 0). */
export function numberField(num: number, value: number): Buffer {
    const bytes = varint(num * 8)
    bytes.pushRange(varint(value))
    return Buffer.from(bytes)
}

/** A message of the given fields, in order. */
export function message(fields: Buffer[]): Buffer {
    return Buffer.concat(...fields)
}

/** "k8s\0" and a runtime.Unknown of typeMeta (apiVersion, kind) and raw. */
export function envelope(apiVersion: string, kind: string, raw: Buffer): Buffer {
    return message([Buffer.from([0x6b, 0x38, 0x73, 0x00]), field(1, message([field(1, apiVersion), field(2, kind)])), field(2, raw), field(3, ""), field(4, "")])
}

/** A PartialObjectMetadata reply with these annotations (in order) and a managedFields entry after them. */
export function metadataReply(name: string, annotations: (string | Buffer)[][], uid = "uid-1", resourceVersion = "42"): Buffer {
    const fields = [field(1, name), field(5, uid), field(6, resourceVersion), numberField(7, 3)]
    for (const kv of annotations) fields.push(field(12, message([field(1, kv[0]), field(2, kv[1])])))
    fields.push(field(17, message([field(1, "picokubelet")])))
    const meta = message(fields)
    return envelope("meta.k8s.io/v1", "PartialObjectMetadata", field(1, meta))
}

/** A Status reply: message and reason. */
export function statusReply(code: number, reason: string, msg: string): Buffer {
    return envelope("v1", "Status", message([field(1, message([])), field(2, "Failure"), field(3, msg), field(4, reason), numberField(6, code)]))
}

export interface PodShape {
    name?: string
    uid?: string
    resourceVersion?: string
    deleting?: boolean
    annotations?: string[][]
    owners?: string[]
    containers?: Buffer[]
    restartPolicy?: string
    phase?: string
    conditions?: string[][]
    startSeconds?: number
}

/** A container message: name 1, image 2, then fields nobody reads (command 3, terminationMessagePath 13). */
export function container(name: string, image: string): Buffer {
    const fields: Buffer[] = []
    if (name) fields.push(field(1, name))
    fields.push(field(2, image), field(3, "sleep"), field(13, "/dev/termination-log"))
    return message(fields)
}

/** A Pod reply in field-number order, with the fields a real one carries around the read ones. */
export function podReply(p: PodShape): Buffer {
    const meta = [field(1, p.name ?? "job-once"), field(3, "default"), field(5, p.uid ?? "f15514c6"), field(6, p.resourceVersion ?? "274"), numberField(7, 1), field(8, message([numberField(1, 1795924703)]))]
    if (p.deleting) meta.push(field(9, message([numberField(1, 1795924733)])))
    meta.push(field(11, message([field(1, "app"), field(2, "web")])))
    for (const kv of p.annotations ?? []) meta.push(field(12, message([field(1, kv[0]), field(2, kv[1])])))
    for (const kind of p.owners ?? []) meta.push(field(13, message([field(1, kind), field(3, "owner"), field(4, "u"), field(5, "apps/v1")])))
    meta.push(field(17, message([field(1, "picokubelet"), field(2, "Update"), field(7, '{"f:spec":{}}')])))
    const spec = [field(1, message([field(1, "kube-api-access")]))]
    for (const c of p.containers ?? [container("task", "busybox:1.36")]) spec.push(field(2, c))
    spec.push(field(3, p.restartPolicy ?? "Always"), numberField(4, 30))
    // priority (25) -10: a negative number is a ten-byte varint
    spec.push(Buffer.from([0xc8, 0x01, 0xf6, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]))
    const status: Buffer[] = []
    if (p.phase) status.push(field(1, p.phase))
    for (const c of p.conditions ?? []) status.push(field(2, message([field(1, c[0]), field(2, c[1]), field(4, message([numberField(1, 1795924800)]))])))
    status.push(field(5, "192.168.0.111"))
    if (p.startSeconds !== undefined) status.push(field(7, message([numberField(1, p.startSeconds), numberField(2, 0)])))
    return envelope("v1", "Pod", message([field(1, message(meta)), field(2, message(spec)), field(3, message(status))]))
}

/** One item of a PartialObjectMetadataList: an ObjectMeta with a managedFields entry after the read fields. */
export function listItem(namespace: string, name: string, uid: string, resourceVersion: string, deleting = false): Buffer {
    const meta = [field(1, name), field(3, namespace), field(5, uid), field(6, resourceVersion), field(8, message([numberField(1, 1795924703)]))]
    if (deleting) meta.push(field(9, message([numberField(1, 1795924733)])), numberField(10, 30))
    meta.push(field(12, message([field(1, "picokubelet.io/show"), field(2, "marquee")])), field(17, message([field(1, "kubectl"), field(2, "Update")])))
    return message([field(1, message(meta))])
}

/** A PartialObjectMetadataList reply: its ListMeta (resourceVersion, and continue unless "") and the items. */
export function listReply(continueToken: string, items: Buffer[]): Buffer {
    const listMeta = [field(2, "279")]
    if (continueToken) listMeta.push(field(3, continueToken))
    const fields = [field(1, message(listMeta))]
    for (const item of items) fields.push(field(2, item))
    return envelope("meta.k8s.io/v1", "PartialObjectMetadataList", message(fields))
}
