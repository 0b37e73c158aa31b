import * as ds from "@devicescript/core"
import { describe, test } from "../harness"
import { expectEqual } from "../matchers"
import { MAX_STRING_BYTES } from "../../../src/k8s/proto-stream"
import { DEFAULT_RUN_SECONDS, MAX_CONTAINERS, PodFacts, RUN_SECONDS_ANNOTATION } from "../../../src/pods/facts"
import { container, listItem, listReply, podReply } from "../k8s/proto"
import { ListedPod, PodListing } from "../../../src/pods/listing"

/** Feeds `json` in pieces, a fiber slice per 256 bytes (the VM's watchdog counts opcodes per slice). */
async function feed(scanner: { push(b: Buffer, f: number, t: number): void }, json: string, piece: number) {
    const b = Buffer.from(json)
    for (let at = 0; at < b.length; at += piece) {
        scanner.push(b, at, Math.min(b.length, at + piece))
        if (at % 256 < piece) await ds.sleep(0)
    }
}

async function facts(reply: Buffer): Promise<PodFacts> {
    const f = new PodFacts()
    for (let at = 0; at < reply.length; at += 13) {
        f.scanner.push(reply, at, Math.min(reply.length, at + 13))
        if (at % 256 < 13) await ds.sleep(0)
    }
    return f
}

/** A listing fed `reply` in pieces of `size`, and the pods it handed over. */
function scanList(reply: Buffer, size: number): { seen: ListedPod[]; l: PodListing } {
    const seen: ListedPod[] = []
    const l = new PodListing(p => {
        seen.push(p)
    })
    for (let at = 0; at < reply.length; at += size) l.scanner.push(reply, at, Math.min(reply.length, at + size))
    return { seen, l }
}

describe("pod listing and pod facts", () => {
    test("a metadata list: every item, as it ends, in every piece size; the continue token", async () => {
        const reply = listReply("tok-2", [
            listItem("default", "web", "d603c9f0-5f75-49d7-b6ea-abf513d7ce0f", "279", true),
            listItem("kube-system", "ds-x", "u-2", "12"),
            listItem("default", "", "u-3", "13"),
        ])
        for (let size = 1; size <= reply.length; size += size < 16 ? 1 : 37) {
            const { seen, l } = scanList(reply, size)
            expectEqual(l.finish(), undefined, `pieces of ${size}`)
            // the nameless item is passed over
            expectEqual(seen, [
                { namespace: "default", name: "web", uid: "d603c9f0-5f75-49d7-b6ea-abf513d7ce0f", resourceVersion: "279", deleting: true },
                { namespace: "kube-system", name: "ds-x", uid: "u-2", resourceVersion: "12", deleting: false },
            ])
            expectEqual([l.count, l.continueToken], [2, "tok-2"])
            await ds.sleep(0)
        }
    })
    test("a cut-off list, or a list that is not protobuf, is unusable", async () => {
        const whole = listReply("", [listItem("default", "web", "u-1", "5")])
        const l = new PodListing(p => {})
        l.scanner.push(whole, 0, whole.length - 30)
        expectEqual(l.finish(), "the reply ended before the list did")
        const j = new PodListing(p => {})
        await feed(j.scanner, '{"kind":"PartialObjectMetadataList"}', 9)
        expectEqual(j.finish(), "not a Kubernetes protobuf reply")
    })
    test("a pod: containers, restart policy, run time, owner, status", async () => {
        const f = await facts(
            podReply({
                restartPolicy: "Never",
                phase: "Running",
                conditions: [["PodReadyToStartContainers", "True"], ["Ready", "True"], ["Initialized", "False"]],
                startSeconds: 1795928400, // 2026-11-29T05:00:00Z
            })
        )
        expectEqual(f.finish(), undefined)
        expectEqual(
            [f.uid, f.resourceVersion, f.deleting, f.ownerKind, f.containers, f.restartPolicy, f.runSeconds(), f.phase, f.startTime, f.ready],
            ["f15514c6", "274", false, "", [{ name: "task", image: "busybox:1.36" }], "Never", DEFAULT_RUN_SECONDS, "Running", "2026-11-29T05:00:00Z", "True"]
        )
    })
    test("owner, deletion, the run-time annotation among others, and a Ready condition", async () => {
        let long = ""
        while (long.length <= MAX_STRING_BYTES) long += "last-applied "
        const f = await facts(
            podReply({
                deleting: true,
                owners: ["ReplicaSet", "Other"],
                annotations: [["kubectl.kubernetes.io/last-applied-configuration", long], [RUN_SECONDS_ANNOTATION, "3"], ["x", "7"]],
                restartPolicy: "Never",
                containers: [container("c", "i"), container("d", "j")],
                conditions: [["Ready", "False"], ["Initialized", "True"]],
            })
        )
        expectEqual(
            [f.finish(), f.deleting, f.ownerKind, f.runSeconds(), f.containers, f.ready, f.startTime],
            [undefined, true, "ReplicaSet", 3, [{ name: "c", image: "i" }, { name: "d", image: "j" }], "False", ""]
        )
    })
    test("run time: the annotation, else the default; none for Always", async () => {
        const f = await facts(podReply({ restartPolicy: "OnFailure" }))
        expectEqual([f.finish(), f.runSeconds()], [undefined, DEFAULT_RUN_SECONDS])
        const g = await facts(podReply({ restartPolicy: "Never", annotations: [[RUN_SECONDS_ANNOTATION, "soon"]] }))
        expectEqual(g.runSeconds(), DEFAULT_RUN_SECONDS)
        expectEqual((await facts(podReply({}))).runSeconds(), -1)
    })
    test("a pod that cannot be reported on says why", async () => {
        expectEqual((await facts(podReply({ containers: [] }))).finish(), "no containers")
        const many: Buffer[] = []
        for (let i = 0; i <= MAX_CONTAINERS; i++) many.push(container("c" + i, "i"))
        expectEqual((await facts(podReply({ containers: many }))).finish(), `more than ${MAX_CONTAINERS} containers`)
        expectEqual((await facts(podReply({ containers: [container("", "i")] }))).finish(), "a container without a name")
        let image = ""
        while (image.length <= MAX_STRING_BYTES) image += "registry.example/"
        expectEqual((await facts(podReply({ containers: [container("c", image)] }))).finish(), `a field is longer than ${MAX_STRING_BYTES} bytes`)
        const whole = podReply({})
        expectEqual((await facts(whole.slice(0, whole.length - 20))).finish(), "the reply ended before the pod did")
        expectEqual((await facts(Buffer.from('{"kind":"Pod"}'))).finish(), "not a Kubernetes protobuf reply")
    })
})
