// The emulator's protobuf: the encoding (decoded again with protobufjs, field
// by field and as Go's marshalers lay it out), Accept negotiation, and the
// replies as a client sees them. test/real/protobuf.test.ts holds the same
// replies to a real kube-apiserver's.
import assert from "node:assert/strict"
import { before, describe, test } from "node:test"
import { Reader, type Type } from "protobufjs"
import { negotiate, noConversion, parseAccept, resourceScope, routeAccepts } from "../../tools/apiserver/negotiation"
import { PROTOBUF, loadProtobufSchema, type ProtobufSchema } from "../../tools/apiserver/protobuf"
import { ensureProtoSchema } from "../../tools/apiserver/proto-schema"
import { notFound } from "../../tools/apiserver/status"
import { leaseBody, leasePath, MERGE, nodeBody, SMP, useEmulator } from "./harness"
import { header, request, type RawResponse } from "./wire"

/** The field numbers of one message level, in wire order. */
function fieldNumbers(bytes: Uint8Array): number[] {
    const r = Reader.create(bytes)
    const out: number[] = []
    while (r.pos < r.len) {
        const tag = r.uint32()
        out.push(tag >>> 3)
        r.skipType(tag & 7)
    }
    return out
}

const ascending = (ns: number[]) => ns.every((n, i) => i === 0 || ns[i - 1] <= n)

// what kube-apiserver v1.31.4 sent for GET .../leases/nope with Accept: protobuf (measured)
const REAL_404 =
    "6b3873000a0c0a027631120653746174757312740a060a0012001a0012074661696c7572651a2b6c65617365732e636f6f7264696e6174696f6e2e6b38732e696f" +
    "20226e6f706522206e6f7420666f756e6422084e6f74466f756e642a270a046e6f70651213636f6f7264696e6174696f6e2e6b38732e696f1a066c65617365732800" +
    "32003094031a002200"

describe("protobuf encoding", () => {
    let schema: ProtobufSchema
    before(async () => {
        schema = loadProtobufSchema(await ensureProtoSchema())
    })

    const roundTrip = (obj: any) => {
        const bytes = schema.encode(obj)
        const d = schema.decode(bytes)
        const type = d.type as Type
        // decoded and written again by protobufjs: the same bytes, so nothing is out of order or repeated
        assert.deepEqual(schema.envelope(d.apiVersion, d.kind, type.encode(d.message!).finish()), bytes)
        return { bytes, d, plain: type.toObject(d.message!, { longs: Number }) as any }
    }

    test("a Status is byte for byte what kube-apiserver sends", () => {
        const err = notFound({ group: "coordination.k8s.io", resource: "leases" }, "nope")
        assert.equal(schema.encode(err.body).toString("hex"), REAL_404)
    })

    test("the envelope: magic, then typeMeta, raw, and the two empty strings Go always writes", () => {
        const { bytes, d } = roundTrip({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Success" })
        assert.deepEqual(bytes.subarray(0, 4), Buffer.from("k8s\0", "latin1"))
        assert.deepEqual(fieldNumbers(bytes.subarray(4)), [1, 2, 3, 4])
        assert.deepEqual(bytes.subarray(-4), Buffer.from([0x1a, 0, 0x22, 0]))
        assert.equal(d.kind, "Status")
        assert.equal(d.apiVersion, "v1")
    })

    test("a Lease: MicroTime to the microsecond, pointers only when set, every non-pointer field written", () => {
        const lease = {
            kind: "Lease",
            apiVersion: "coordination.k8s.io/v1",
            metadata: { name: "n1", namespace: "kube-node-lease", creationTimestamp: "2026-11-20T22:39:29Z" },
            spec: { holderIdentity: "n1", leaseDurationSeconds: 40, renewTime: "2026-11-20T22:39:29.769000Z" },
        }
        const { plain, d } = roundTrip(lease)
        assert.deepEqual(plain.spec, { holderIdentity: "n1", leaseDurationSeconds: 40, renewTime: { seconds: Date.parse("2026-11-20T22:39:29Z") / 1000, nanos: 769_000_000 } })
        // ObjectMeta's strings and generation are not pointers: present though empty
        assert.equal(plain.metadata.generateName, "")
        assert.equal(plain.metadata.uid, "")
        assert.equal(plain.metadata.generation, 0)
        assert.equal(plain.metadata.deletionTimestamp, undefined)
        assert.ok(ascending(fieldNumbers(d.raw)))
    })

    test("a Node: maps in Go's key order (bytes, so integer-like keys are no exception), quantities, zero times as empty messages", () => {
        const node: any = nodeBody("n1")
        node.metadata.labels = { b: "1", "10": "2", "9": "3", a: "" }
        node.status.conditions = [{ type: "Ready", status: "True", lastHeartbeatTime: null, lastTransitionTime: "2026-11-20T22:39:29Z" }]
        const { plain } = roundTrip(node)
        assert.deepEqual(plain.metadata.labels.map((e: any) => e.key), ["10", "9", "a", "b"])
        assert.deepEqual(plain.metadata.labels[2], { key: "a", value: "" })
        assert.deepEqual(plain.status.capacity.find((e: any) => e.key === "pods").value, { string: node.status.capacity.pods })
        assert.deepEqual(plain.status.conditions[0].lastHeartbeatTime, {})
        assert.equal(plain.spec.unschedulable, false)
    })

    test("a Pod: an inlined struct (Volume's VolumeSource) and IntOrString", () => {
        const pod = {
            kind: "Pod",
            apiVersion: "v1",
            metadata: { name: "p", namespace: "default" },
            spec: {
                containers: [{ name: "c", image: "busybox", ports: [{ containerPort: 80 }], livenessProbe: { httpGet: { port: "http", path: "/" } } }],
                volumes: [{ name: "v", emptyDir: {} }],
            },
        }
        const { plain } = roundTrip(pod)
        assert.deepEqual(plain.spec.volumes[0].name, "v")
        assert.ok(plain.spec.volumes[0].volumeSource.emptyDir)
        assert.deepEqual(plain.spec.containers[0].livenessProbe.handler.httpGet.port, { type: 1, intVal: 0, strVal: "http" })
    })

    test("a field the Go type does not have is an error, not silently dropped", () => {
        assert.throws(() => schema.encode({ kind: "Lease", apiVersion: "coordination.k8s.io/v1", metadata: { name: "x" }, spec: { bogus: 1 } }), /spec\.bogus/)
    })

    test("Table has no protobuf form", () => {
        assert.throws(() => schema.encode({ kind: "Table", apiVersion: "meta.k8s.io/v1" }), /no protobuf form/)
    })
})

describe("Accept negotiation", () => {
    const node = resourceScope(true)
    const pod = resourceScope(false)

    test("q-values order the clauses; ties keep the header's order; */* and application/* take JSON", () => {
        assert.equal(negotiate(`application/json;q=0.5, ${PROTOBUF}`, pod, "v1")?.encoding, "protobuf")
        assert.equal(negotiate(`application/json;q=0.5, ${PROTOBUF};q=0.4`, pod, "v1")?.encoding, "json")
        assert.equal(negotiate(`${PROTOBUF}, application/json`, pod, "v1")?.encoding, "protobuf")
        assert.equal(negotiate("*/*", pod, "v1")?.encoding, "json")
        assert.equal(negotiate("application/*", pod, "v1")?.encoding, "json")
        assert.equal(negotiate(undefined, pod, "v1")?.encoding, "json")
        assert.equal(negotiate("text/html", pod, "v1"), undefined)
    })

    test("goautoneg's order is not a strict one: a typed clause goes before */* even at a lower q", () => {
        assert.deepEqual(parseAccept(`*/*, ${PROTOBUF};q=0.1`).map(c => c.type), ["application", "*"])
    })

    test("conversions: PartialObjectMetadata in meta.k8s.io v1 or v1beta1; Table as JSON only; none for errors", () => {
        const pom = `${PROTOBUF};as=PartialObjectMetadata;g=meta.k8s.io;v=v1`
        assert.deepEqual(negotiate(pom, pod, "v1")?.convert, { kind: "PartialObjectMetadata", group: "meta.k8s.io", version: "v1" })
        assert.equal(negotiate(pom.replace("v=v1", "v=v2"), pod, "v1"), undefined)
        assert.equal(negotiate(`${PROTOBUF};as=PartialObjectMetadata`, pod, "v1"), undefined)
        assert.equal(negotiate(`${PROTOBUF};as=Table;g=meta.k8s.io;v=v1`, node, "v1"), undefined)
        assert.equal(negotiate("application/json;as=Table;g=meta.k8s.io;v=v1", node, "v1")?.convert?.kind, "Table")
        assert.equal(negotiate(pom, noConversion), undefined)
        assert.equal(negotiate(`${pom}, ${PROTOBUF}`, noConversion)?.encoding, "protobuf")
    })

    test("go-restful's route choice: a listed type or */*, parameters dropped; application/* is not enough", () => {
        assert.ok(routeAccepts(`${PROTOBUF};as=Table`, ["application/json", PROTOBUF]))
        assert.ok(routeAccepts("text/html, */*;q=0.1", ["application/json"]))
        assert.ok(!routeAccepts("application/*", ["application/json"]))
    })
})

describe("protobuf replies from the emulator", () => {
    const ctx = useEmulator()
    const boot = () => ctx.server.tokens.bootstrap
    let schema: ProtobufSchema
    before(async () => {
        schema = loadProtobufSchema(await ensureProtoSchema())
    })
    const send = (method: string, path: string, accept: string, body?: unknown, contentType?: string): Promise<RawResponse> =>
        ctx.conn.exchange(request(method, path, boot(), body, contentType).replace("\r\nAccept: application/json\r\n", `\r\nAccept: ${accept}\r\n`))

    test("a renewal as the firmware sends it: a protobuf Lease", async () => {
        await ctx.conn.exchange(request("POST", "/api/v1/nodes", boot(), nodeBody("n1")))
        await ctx.conn.exchange(request("POST", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", boot(), leaseBody("n1", "2026-11-20T22:39:29.100000Z")))
        const r = await send("PATCH", `${leasePath("n1")}?fieldManager=picokubelet`, PROTOBUF, { spec: { renewTime: "2026-11-20T22:39:39.100000Z" } }, MERGE)
        assert.equal(r.status, 200)
        assert.equal(header(r, "content-type"), PROTOBUF)
        const d = schema.decode(r.body)
        assert.equal(d.kind, "Lease")
        assert.equal((d.message as any).spec.renewTime.nanos, 100_000_000)
    })

    test("a status patch as=PartialObjectMetadata: metadata only, meta.k8s.io/v1", async () => {
        const r = await send("PATCH", "/api/v1/nodes/n1/status", `${PROTOBUF};as=PartialObjectMetadata;g=meta.k8s.io;v=v1`, { metadata: { annotations: { a: "1" } } }, SMP)
        assert.equal(r.status, 200)
        const d = schema.decode(r.body)
        assert.deepEqual([d.apiVersion, d.kind], ["meta.k8s.io/v1", "PartialObjectMetadata"])
        assert.equal((d.message as any).metadata.name, "n1")
    })

    test("errors: a protobuf Status; with as= alone nothing fits, so indented JSON", async () => {
        const r = await send("GET", "/api/v1/namespaces/default/pods/nope", PROTOBUF)
        assert.equal(r.status, 404)
        assert.equal(header(r, "content-type"), PROTOBUF)
        assert.equal((schema.decode(r.body).message as any).reason, "NotFound")
        const m = await send("GET", "/api/v1/namespaces/default/pods/nope", `${PROTOBUF};as=PartialObjectMetadata;g=meta.k8s.io;v=v1`)
        assert.equal(m.status, 404)
        assert.equal(header(m, "content-type"), "application/json")
        assert.match(m.body.toString(), /^\{\n  "kind": "Status",\n/)
        const unauthorized = await ctx.conn.exchange(request("GET", leasePath("n1"), "abcdef.0000000000000000").replace("Accept: application/json", `Accept: ${PROTOBUF}`))
        assert.equal(unauthorized.status, 401)
        assert.equal((schema.decode(unauthorized.body).message as any).reason, "Unauthorized")
    })

    test("406s: Table has no protobuf; a list is no PartialObjectMetadata; go-restful's own for text/html", async () => {
        const table = await send("GET", "/api/v1/nodes/n1", `${PROTOBUF};as=Table;g=meta.k8s.io;v=v1`)
        assert.equal(table.status, 406)
        assert.match(JSON.parse(table.body.toString()).message, /^only the following media types are accepted: application\/json, application\/yaml, application\/vnd.kubernetes.protobuf$/)
        const list = await send("GET", "/api/v1/pods", `${PROTOBUF};as=PartialObjectMetadata;g=meta.k8s.io;v=v1`)
        assert.equal(list.status, 406)
        assert.equal(JSON.parse(list.body.toString()).message, "you requested PartialObjectMetadata, but the requested object is a list (*core.PodList)")
        const html = await send("GET", "/api/v1/nodes/n1", "text/html")
        assert.equal(html.status, 406)
        assert.match(JSON.parse(html.body.toString()).message, /^406: Not Acceptable\n\nAvailable representations: /)
    })

    test("an empty PartialObjectMetadataList: no items on the wire", async () => {
        const r = await send("GET", "/api/v1/pods?fieldSelector=spec.nodeName%3Dn1", `${PROTOBUF};as=PartialObjectMetadataList;g=meta.k8s.io;v=v1`)
        assert.equal(r.status, 200)
        const d = schema.decode(r.body)
        assert.equal(d.kind, "PartialObjectMetadataList")
        assert.deepEqual(fieldNumbers(d.raw), [1])
    })
})
