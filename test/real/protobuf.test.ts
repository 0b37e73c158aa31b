// Protobuf replies, the emulator held to a real kube-apiserver: the same
// requests (the recorded ones, with the Accept the firmware sends or means
// to) go to both; status, Content-Type, framing and the decoded objects must
// agree, and so must the bytes once the values that differ by nature (uids,
// resourceVersions, the seconds of server-set times, continue tokens) are
// set alike on both sides and re-encoded. The raw sizes are printed, so the
// figures in the report come from here.
import assert from "node:assert/strict"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { after, before, describe, test } from "node:test"
import type { Type } from "protobufjs"
import { ApiServer, startApiServer } from "../../tools/apiserver"
import { PROTOBUF, loadProtobufSchema, type ProtobufSchema } from "../../tools/apiserver/protobuf"
import { ensureProtoSchema } from "../../tools/apiserver/proto-schema"
import { Cluster, startCluster } from "../../tools/cluster"
import { getNode } from "./harness"
import { Exchange, FIXTURE_NODE, PLACEHOLDER_TOKEN, RECORDING_RBAC, replay, type ReplaySource } from "../apiserver/replay"
import { fixtureDirFor, header, loadFixtures, type RawResponse } from "../apiserver/wire"

const POM = `${PROTOBUF};as=PartialObjectMetadata;g=meta.k8s.io;v=v1`
const POML = `${PROTOBUF};as=PartialObjectMetadataList;g=meta.k8s.io;v=v1`
const PODS = `/api/v1/pods?fieldSelector=spec.nodeName%3D${FIXTURE_NODE}`
const LEASE = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${FIXTURE_NODE}`

const recorded = new Map(loadFixtures(fixtureDirFor("1.31")).map(f => [f.name, f]))
const fixture = (name: string): ReplaySource => {
    const f = recorded.get(name)
    if (!f) throw new Error(`no fixture ${name}`)
    return f
}

/** A recorded request with another Accept (and name). */
function withAccept(name: string, from: string, accept: string): ReplaySource {
    const text = fixture(from).request.toString("latin1")
    assert.match(text, /\r\nAccept: application\/json\r\n/)
    return { ...fixture(from), name, request: Buffer.from(text.replace("\r\nAccept: application/json\r\n", `\r\nAccept: ${accept}\r\n`), "latin1") }
}

/** A GET as the kubelet sends it. */
function get(name: string, path: string, accept: string, token = PLACEHOLDER_TOKEN): ReplaySource {
    const lines = [`GET ${path} HTTP/1.1`, "Host: localhost:6443", "User-Agent: picokubelet/0.1", `Accept: ${accept}`, `Authorization: Bearer ${token}`]
    return { name, request: Buffer.from(lines.join("\r\n") + "\r\n\r\n", "latin1") }
}

/** The node and its lease; then, once the controllers have labelled the node, a Ready status. */
const setup: ReplaySource[] = [fixture("00-admin-cleanup-lease"), fixture("00-admin-cleanup-node"), fixture("02-post-node-201"), fixture("05-post-lease-201")]
const ready: ReplaySource[] = [fixture("09-patch-status-smp-200")]

// JSON twins of the protobuf requests: the size comparison in the report
const sequence: ReplaySource[] = [
    withAccept("lease-renewal-protobuf", "07-patch-lease-renew-200", PROTOBUF),
    fixture("07-patch-lease-renew-200"),
    withAccept("lease-renewal-bad-renewtime-422-protobuf", "08-patch-lease-bad-renewtime-422", PROTOBUF),
    withAccept("status-patch-protobuf", "09-patch-status-smp-200", PROTOBUF),
    fixture("09-patch-status-smp-200"),
    withAccept("status-patch-metadata-protobuf", "10-patch-status-heartbeat-200", POM),
    withAccept("status-patch-metadata-json", "10-patch-status-heartbeat-200", "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"),
    get("get-lease-protobuf", LEASE, PROTOBUF),
    get("get-node-protobuf", `/api/v1/nodes/${FIXTURE_NODE}`, PROTOBUF),
    get("get-lease-404-protobuf", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/no-such-node", PROTOBUF),
    get("get-lease-404-json", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/no-such-node", "application/json"),
    // the Status of an error cannot be converted: with as= alone nothing fits, so indented JSON
    get("get-lease-404-metadata-protobuf", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/no-such-node", POM),
    withAccept("post-lease-409-protobuf", "06-post-lease-409", PROTOBUF),
    get("get-lease-401-protobuf", LEASE, PROTOBUF, "abcdef.0000000000000000"),
    get("list-nodes-403-protobuf", "/api/v1/nodes", PROTOBUF),
    get("list-pods-empty-metadata-protobuf", PODS, POML),
    fixture("14-admin-create-pod"),
    get("list-pods-metadata-protobuf", PODS, POML),
    get("list-pods-metadata-v1beta1-protobuf", PODS, POML.replace("v=v1", "v=v1beta1")),
    get("list-pods-protobuf", PODS, PROTOBUF),
    // negotiation: Table has no protobuf form, so the JSON alternative after it
    get("get-node-table-protobuf-406", `/api/v1/nodes/${FIXTURE_NODE}`, `${PROTOBUF};as=Table;g=meta.k8s.io;v=v1`),
    get("get-node-table-protobuf-then-protobuf", `/api/v1/nodes/${FIXTURE_NODE}`, `${PROTOBUF};as=Table;g=meta.k8s.io;v=v1, ${PROTOBUF}`),
    get("get-lease-q-values", LEASE, `application/json;q=0.5, ${PROTOBUF}`),
    get("get-lease-q-values-json-first", LEASE, `application/json;q=0.5, ${PROTOBUF};q=0.4`),
    get("get-lease-wildcards", LEASE, `*/*;q=0.1, ${PROTOBUF}`),
    get("get-lease-application-wildcard-406", LEASE, "application/*"),
    get("get-lease-text-406", LEASE, "text/html"),
    get("get-lease-metadata-list-406", LEASE, POML),
    get("list-pods-metadata-of-list-406", PODS, POM),
    get("get-lease-metadata-unknown-group-406", LEASE, `${PROTOBUF};as=PartialObjectMetadata;g=example.com;v=v1`),
    get("list-pods-text-406", PODS, "text/html"),
]

const UID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g

/** The values that differ by nature, set alike; what is left must be equal. */
function normalize(value: any, key = ""): any {
    // entries go in time order, and server times differ by a second now and then
    if (key === "managedFields" && Array.isArray(value))
        return value.map(v => normalize(v)).sort((a, b) => `${a.manager} ${a.subresource ?? ""}`.localeCompare(`${b.manager} ${b.subresource ?? ""}`))
    if (Array.isArray(value)) return value.map(v => normalize(v, key))
    if (value && typeof value === "object") {
        const out: any = {}
        // fieldsV1 keys list items by uid
        for (const [k, v] of Object.entries(value)) out[k.replace(UID, "UID")] = normalize(v, k)
        // a Time's or MicroTime's seconds: server clocks; the sub-second part comes from the request
        if ("seconds" in out) out.seconds = 1_700_000_000
        return out
    }
    if (typeof value !== "string") return value
    if (key === "resourceVersion" && value) return "1"
    // server times as JSON shows them, a resourceVersion quoted in a message, the service account volume's random name
    value = value.replace(/kube-api-access-[a-z0-9]{5}/g, "kube-api-access-xxxxx").replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g, "2023-11-14T22:13:20Z").replace(/(resourceVersion\\*":\\*")\d+/g, "$11")
    if (key === "continue" && value) return "TOKEN"
    // fieldsV1 (base64 JSON) names ownerReferences by uid
    if (key === "Raw") return Buffer.from(Buffer.from(value, "base64").toString("utf8").replace(UID, "UID")).toString("base64")
    return value.replace(UID, "UID")
}

interface Body {
    kind: string
    /** The object in protobufjs's plain form (bytes base64), or parsed JSON. */
    object: any
    /** Bytes with the natural differences set alike: protobuf re-encoded, JSON as Go would write it. */
    normalized: Buffer
}

function body(schema: ProtobufSchema, r: RawResponse): Body {
    if (header(r, "content-type") === PROTOBUF) {
        const { kind, apiVersion, type, message } = schema.decode(r.body)
        assert.ok(type, `${apiVersion} ${kind}: no protobuf type`)
        const plain = (type as Type).toObject(message!, { longs: Number, bytes: String })
        // the decoded message written again must be the bytes received: the encoding is canonical
        assert.deepEqual(Buffer.from(schema.envelope(apiVersion, kind, (type as Type).encode((type as Type).fromObject(plain)).finish())), r.body)
        const object = normalize(plain)
        return { kind, object, normalized: schema.envelope(apiVersion, kind, (type as Type).encode((type as Type).fromObject(object)).finish()) }
    }
    const object = normalize(JSON.parse(r.body.toString("utf8")))
    const indented = r.body.includes("\n  ")
    const normalized = Buffer.from(indented ? JSON.stringify(object, null, 2) : JSON.stringify(object) + "\n")
    return { kind: object.kind, object, normalized }
}

const TTL = "node.alpha.kubernetes.io/ttl"

/**
 * Until the controllers are done with the node: whether the TTL annotation,
 * the beta labels or the not-ready taint's removal land before or after a
 * request is timing, and would show (in managedFields too) as differences.
 */
async function settled(node: () => Promise<any>, where: string, done: (node: any) => boolean): Promise<void> {
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise(r => setTimeout(r, 200))) {
        const n = await node()
        if (n && done(n)) return
    }
    throw new Error(`the controllers of ${where} did not settle on ${FIXTURE_NODE} within 30 s`)
}

describe("protobuf replies: the emulator against a real kube-apiserver", () => {
    let cluster: Cluster
    let emulator: ApiServer
    let schema: ProtobufSchema
    let real: Exchange[]
    let emulated: Exchange[]
    before(async () => {
        schema = loadProtobufSchema(await ensureProtoSchema())
        cluster = await startCluster({ nodeNames: [FIXTURE_NODE] })
        await cluster.kubectl.apply(readFileSync(RECORDING_RBAC, "utf8"))
        emulator = await startApiServer({
            port: 0,
            quiet: true,
            dataDir: mkdtempSync(join(tmpdir(), "pk-protobuf-")),
            bootstrapToken: cluster.token,
            rbacManifests: [RECORDING_RBAC],
        })
        const realTarget = { port: cluster.port, caFile: cluster.caFile, token: cluster.token, admin: cluster.adminCert }
        const emulatorTarget = { port: emulator.port, caFile: emulator.caFile, token: cluster.token, admin: { token: emulator.tokens.admin } }
        const realNode = () => getNode(cluster, FIXTURE_NODE)
        const emulatorNode = async () => emulator.store.getNode(FIXTURE_NODE)
        for (const [target, node, where] of [[realTarget, realNode, "kube-apiserver"], [emulatorTarget, emulatorNode, "the emulator"]] as const) {
            await replay(setup, target)
            await settled(node, where, n => n.metadata.annotations?.[TTL] !== undefined && n.metadata.labels?.["beta.kubernetes.io/arch"] !== undefined)
            await replay(ready, target)
            await settled(node, where, n => !(n.spec?.taints ?? []).some((t: any) => t.key === "node.kubernetes.io/not-ready"))
        }
        real = await replay(sequence, realTarget)
        emulated = await replay(sequence, emulatorTarget)
        const rows = sequence.map((s, i) => {
            const [e, r] = [emulated[i].response, real[i].response]
            return `${s.name.padEnd(48)} ${String(r.status).padEnd(4)} ${(header(r, "content-type") ?? "").padEnd(36)} real ${String(r.body.length).padStart(5)} B  emulator ${String(e.body.length).padStart(5)} B`
        })
        console.log(`reply bodies, kube-apiserver ${cluster.version} and the emulator:\n${rows.join("\n")}`)
    })
    after(async () => {
        await emulator?.stop()
        await cluster?.stop()
    })

    for (const s of sequence.filter(s => !s.name.startsWith("14-")))
        test(s.name, () => {
            const i = sequence.indexOf(s)
            const [e, r] = [emulated[i].response, real[i].response]
            const context = `real reply:\n${r.raw.toString("latin1").slice(0, 1200)}`
            assert.equal(e.status, r.status, context)
            assert.equal(header(e, "content-type"), header(r, "content-type"), context)
            assert.equal(e.framing, r.framing, context)
            const [eb, rb] = [body(schema, e), body(schema, r)]
            assert.deepEqual(eb.object, rb.object, context)
            assert.equal(eb.normalized.toString("hex"), rb.normalized.toString("hex"), "the same bytes once uids, resourceVersions and server times are set alike")
        })
})
