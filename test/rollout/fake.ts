// A fake API and clock for the rollout loop: nodes held as facts, a script
// per node playing its kubelet (called on every read with the current time
// and desired reference), every write recorded. Time moves only by sleep().
import { NodeNotFound, type Clock, type RolloutApi } from "../../tools/rollout/controller"
import { node, type NodeFacts } from "./fixtures"

/** Plays one node's kubelet: the node's facts now, given how long ago its annotation changed. */
export type Kubelet = (facts: NodeFacts, sinceAnnotatedMs: number) => NodeFacts

export class FakeCluster implements RolloutApi, Clock {
    time = 0
    writes: [string, string | null][] = []
    /** The next this many reads fail as a network error would. */
    readFailures = 0
    private gone = new Set<string>()
    private facts = new Map<string, NodeFacts>()
    private kubelets = new Map<string, Kubelet>()
    private annotatedAt = new Map<string, number>()

    add(name: string, facts: NodeFacts, kubelet: Kubelet = f => f): this {
        this.facts.set(name, facts)
        this.kubelets.set(name, kubelet)
        return this
    }

    /** From the next read on, the node is not there. */
    remove(name: string): void {
        this.gone.add(name)
    }

    now(): number {
        return this.time
    }

    async sleep(ms: number): Promise<void> {
        this.time += ms
    }

    async getNode(name: string) {
        if (this.readFailures > 0) {
            this.readFailures--
            throw new Error("reading node: connection reset")
        }
        const facts = this.facts.get(name)
        if (!facts || this.gone.has(name)) throw new NodeNotFound(name)
        const at = this.annotatedAt.get(name)
        const now = at === undefined ? facts : this.kubelets.get(name)!(facts, this.time - at)
        this.facts.set(name, now)
        return node(name, now)
    }

    async listNodes(selector: string) {
        return selector === "kubernetes.io/os=devicescript" ? [...this.facts.keys()].map(n => node(n, this.facts.get(n))) : []
    }

    async setFirmware(name: string, reference: string | null): Promise<void> {
        const facts = this.facts.get(name)
        if (!facts) throw new NodeNotFound(name)
        this.writes.push([name, reference])
        this.facts.set(name, { ...facts, desired: reference ?? undefined })
        this.annotatedAt.set(name, this.time)
    }
}
