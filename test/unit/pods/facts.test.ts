import * as ds from "@devicescript/core"
import { describe, test } from "../harness"
import { expectEqual } from "../matchers"
import { DEFAULT_RUN_SECONDS, MAX_CONTAINERS, PodFacts } from "../../../src/pods/facts"
import { ListedPod, PodListing } from "../../../src/pods/listing"
import { METADATA_LIST_BODY, POD_BODY } from "./samples"

/** Feeds `json` in pieces, a fiber slice per 256 bytes (the VM's watchdog counts opcodes per slice). */
async function feed(scanner: { push(b: Buffer, f: number, t: number): void }, json: string, piece: number) {
    const b = Buffer.from(json)
    for (let at = 0; at < b.length; at += piece) {
        scanner.push(b, at, Math.min(b.length, at + piece))
        if (at % 256 < piece) await ds.sleep(0)
    }
}

async function facts(json: string): Promise<PodFacts> {
    const f = new PodFacts()
    await feed(f.scanner, json, 13)
    return f
}

describe("pod listing and pod facts", () => {
    test("a recorded metadata list: every item, as it ends", async () => {
        const seen: ListedPod[] = []
        const l = new PodListing(p => {
            seen.push(p)
        })
        await feed(l.scanner, METADATA_LIST_BODY, 9)
        expectEqual(l.finish(), undefined)
        expectEqual(seen, [
            { namespace: "default", name: "web", uid: "d603c9f0-5f75-49d7-b6ea-abf513d7ce0f", resourceVersion: "279", deleting: true },
            { namespace: "kube-system", name: "ds-x", uid: "u-2", resourceVersion: "12", deleting: false },
        ])
    })
    test("a cut-off list is unusable", async () => {
        const l = new PodListing(p => {})
        await feed(l.scanner, METADATA_LIST_BODY.slice(0, 300), 9)
        expectEqual(l.finish() !== undefined, true)
    })
    test("a recorded pod: containers, restart policy, run time, owner, status", async () => {
        const f = await facts(POD_BODY)
        expectEqual(f.finish(), undefined)
        expectEqual(
            [f.uid, f.resourceVersion, f.deleting, f.ownerKind, f.containers, f.restartPolicy, f.runSeconds(), f.phase, f.startTime, f.ready],
            [
                "f15514c6-4e86-41a0-804e-d2cc488c95b7",
                "274",
                false,
                "",
                [{ name: "task", image: "busybox:1.36" }],
                "Never",
                DEFAULT_RUN_SECONDS,
                "Running",
                "2026-11-29T05:00:00Z",
                "True",
            ]
        )
    })
    test("owner, deletion, the run-time annotation and a Ready condition in any key order", async () => {
        const f = await facts(
            '{"metadata":{"deletionTimestamp":"x","ownerReferences":[{"kind":"ReplicaSet"},{"kind":"Other"}],"annotations":{"picokubelet.dev/run-seconds":"3"}},' +
                '"spec":{"restartPolicy":"Never","containers":[{"image":"i","name":"c"}]},"status":{"conditions":[{"status":"False","type":"Ready"},{"type":"Initialized","status":"True"}]}}'
        )
        expectEqual([f.finish(), f.deleting, f.ownerKind, f.runSeconds(), f.containers, f.ready], [undefined, true, "ReplicaSet", 3, [{ name: "c", image: "i" }], "False"])
    })
    test("run time: the annotation, else the default; none for Always", async () => {
        const f = await facts('{"spec":{"restartPolicy":"OnFailure","containers":[{"name":"c","image":"i"}]}}')
        expectEqual([f.finish(), f.runSeconds()], [undefined, DEFAULT_RUN_SECONDS])
        const g = await facts('{"metadata":{"annotations":{"picokubelet.dev/run-seconds":"soon"}},"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"i"}]}}')
        expectEqual(g.runSeconds(), DEFAULT_RUN_SECONDS)
        expectEqual((await facts('{"spec":{"containers":[{"name":"c","image":"i"}]}}')).runSeconds(), -1)
    })
    test("a pod that cannot be reported on says why", async () => {
        expectEqual((await facts('{"spec":{"containers":[]}}')).finish(), "no containers")
        let many = ""
        for (let i = 0; i <= MAX_CONTAINERS; i++) many += (i ? "," : "") + `{"name":"c${i}","image":"i"}`
        expectEqual((await facts('{"spec":{"containers":[' + many + "]}}")).finish(), `more than ${MAX_CONTAINERS} containers`)
        expectEqual((await facts('{"spec":{"containers":[{"image":"i"}]}}')).finish(), "a container without a name")
    })
})
