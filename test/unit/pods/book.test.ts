// The pod state machine in the style of the upstream table tests: listed
// metadata and the clock in, actions out, the reconciler's reports between.
import { describe, test } from "../harness"
import { expectEqual } from "../matchers"
import { FRESH_PER_LISTING, MAX_REFUSED, PodBook } from "../../../src/pods/book"
import { ListedPod } from "../../../src/pods/listing"

function pod(name: string, rv = "1", deleting = false): ListedPod {
    return { namespace: "default", name, uid: "uid-" + name, resourceVersion: rv, deleting }
}

/** One listing of `pods` at `nowMs`: "kind name" per action, then "gone name" per forgotten pod. */
function listing(book: PodBook, pods: ListedPod[], nowMs = 0): string[] {
    book.begin()
    for (const p of pods) book.listed(p)
    const plan = book.plan(nowMs)
    const out = plan.actions.map(a => a.kind + " " + a.pod.name)
    for (const g of plan.gone) out.push("gone " + g.name)
    return out
}

interface Case {
    name: string
    maxPods: number
    /** Pods running before the listing: name and due time. */
    running: [string, number][]
    listed: ListedPod[]
    nowMs: number
    want: string[]
}

const CASES: Case[] = [
    { name: "new pods start within MAX_PODS, the rest are rejected", maxPods: 2, running: [], listed: [pod("a"), pod("b"), pod("c")], nowMs: 0, want: ["start a", "start b", "reject c"] },
    { name: "MAX_PODS 0 rejects every pod", maxPods: 0, running: [], listed: [pod("a")], nowMs: 0, want: ["reject a"] },
    { name: "running pods count against MAX_PODS", maxPods: 2, running: [["a", -1]], listed: [pod("a"), pod("b"), pod("c")], nowMs: 0, want: ["start b", "reject c"] },
    { name: "nothing changed: nothing to do", maxPods: 2, running: [["a", -1]], listed: [pod("a")], nowMs: 0, want: [] },
    { name: "someone else wrote to a running pod: reassert it", maxPods: 2, running: [["a", -1]], listed: [pod("a", "2")], nowMs: 0, want: ["reassert a"] },
    { name: "deletion asked for a running pod: kill it", maxPods: 2, running: [["a", -1]], listed: [pod("a", "2", true)], nowMs: 0, want: ["kill a"] },
    { name: "deletion asked for before it ran: delete it", maxPods: 2, running: [], listed: [pod("a", "1", true)], nowMs: 0, want: ["delete a"] },
    { name: "a pod no longer listed is forgotten, its slot free", maxPods: 1, running: [["a", -1]], listed: [pod("b")], nowMs: 0, want: ["start b", "gone a"] },
    { name: "before its run time: still running", maxPods: 2, running: [["a", 5000]], listed: [pod("a")], nowMs: 4999, want: [] },
    { name: "its run time is over: complete it", maxPods: 2, running: [["a", 5000]], listed: [pod("a")], nowMs: 5000, want: ["complete a"] },
    { name: "completion comes before a reassert", maxPods: 2, running: [["a", 5000]], listed: [pod("a", "9")], nowMs: 6000, want: ["complete a"] },
]

describe("pod book", () => {
    CASES.forEach(c =>
        test(c.name, () => {
            const book = new PodBook(c.maxPods)
            for (const r of c.running) book.started(pod(r[0]), "1", r[1])
            expectEqual(listing(book, c.listed, c.nowMs), c.want)
        })
    )

    test("a refused write is tried once more on the next listing, then left until the pod changes", () => {
        const book = new PodBook(2)
        expectEqual(listing(book, [pod("a")]), ["start a"])
        book.refused(pod("a"))
        expectEqual(listing(book, [pod("a")]), ["start a"])
        book.refused(pod("a"))
        expectEqual(listing(book, [pod("a")]), [])
        expectEqual(listing(book, [pod("a")]), [])
        // a refused pod holds no slot
        expectEqual(listing(book, [pod("a"), pod("b"), pod("c")]), ["start b", "start c"])
        expectEqual(listing(book, [pod("a", "2")]), ["start a"])
    })
    test("a running pod whose kill is refused twice is left until it changes", () => {
        const book = new PodBook(2)
        book.started(pod("a"), "1", -1)
        expectEqual(listing(book, [pod("a", "2", true)]), ["kill a"])
        book.refused(pod("a"))
        expectEqual(listing(book, [pod("a", "2", true)]), ["kill a"])
        book.refused(pod("a"))
        expectEqual(listing(book, [pod("a", "2", true)]), [])
        expectEqual(listing(book, [pod("a", "3", true)]), ["kill a"])
    })
    test("our own write does not count as someone else's", () => {
        const book = new PodBook(2)
        expectEqual(listing(book, [pod("a", "1")]), ["start a"])
        book.started(pod("a"), "2", -1)
        expectEqual(listing(book, [pod("a", "2")]), [])
        // the reply did not say: the next listing's version is taken after one reassert
        book.wrote(pod("a"), "")
        expectEqual(listing(book, [pod("a", "3")]), ["reassert a"])
        book.wrote(pod("a"), "3")
        expectEqual(listing(book, [pod("a", "3")]), [])
    })
    test("one listing takes at most FRESH_PER_LISTING new pods; the others wait for the next", () => {
        const book = new PodBook(0)
        const many: ListedPod[] = []
        for (let i = 0; i < FRESH_PER_LISTING + 3; i++) many.push(pod("p" + i))
        expectEqual(listing(book, many).length, FRESH_PER_LISTING)
    })
    test("at most MAX_REFUSED refused pods are remembered", () => {
        const book = new PodBook(0)
        for (let i = 0; i < MAX_REFUSED + 2; i++) book.refused(pod("p" + i))
        expectEqual(book.tracked.length, MAX_REFUSED)
    })
    test("forget: a completed or deleted pod is no longer tracked", () => {
        const book = new PodBook(1)
        book.started(pod("a"), "1", -1)
        book.forget(pod("a"))
        expectEqual([book.running(), listing(book, [pod("b")])], [0, ["start b"]])
    })
})
