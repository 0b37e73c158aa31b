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
