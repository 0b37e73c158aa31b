// The rollout loop, one node at a time (system-upgrade-controller with
// concurrency 1): plan, annotate, watch until the node runs the new firmware
// and is Ready, or put the annotation back and stop. The API and the clock
// are injected, so tests drive it without a network or real time.
import type { NodeLike } from "./node"
import type { DigestReference } from "./reference"
import { seconds } from "./summary"
import { observe, plan, startProgress, timedOut, type Update, type Verdict } from "./steps"

export interface RolloutApi {
    /** Throws NodeNotFound for a node the API does not have. */
    getNode(name: string): Promise<NodeLike>
    listNodes(labelSelector: string): Promise<NodeLike[]>
    /** Sets picokubelet.dev/firmware, or removes it when `reference` is null. */
    setFirmware(name: string, reference: string | null): Promise<void>
}

export class NodeNotFound extends Error {
    constructor(readonly node: string) {
        super(`node "${node}" not found`)
    }
}

export interface Clock {
    now(): number
    sleep(ms: number): Promise<void>
}

export const systemClock: Clock = { now: () => Date.now(), sleep: ms => new Promise(r => setTimeout(r, ms)) }

export interface RolloutOptions {
    api: RolloutApi
    clock: Clock
    log: (line: string) => void
    timeoutMs: number
    pollMs: number
}

export type NodeResult =
    | { node: string; outcome: "updated"; ms: number; version: string }
    | { node: string; outcome: "skipped" }
    | { node: string; outcome: "failed"; ms: number; reason: string }
    | { node: string; outcome: "not started" }

/** Named nodes (each must exist), or those the selector matches; sorted, at least one. */
export async function resolveTargets(api: RolloutApi, names: string[], selector: string): Promise<string[]> {
    if (names.length > 0) {
        for (const name of names) await api.getNode(name)
        return [...new Set(names)].sort()
    }
    const found = (await api.listNodes(selector)).map(n => n.metadata?.name ?? "").filter(Boolean)
    if (found.length === 0) throw new Error(`no nodes match the label selector ${selector}`)
    return found.sort()
}

export async function rollout(names: string[], reference: DigestReference, opts: RolloutOptions): Promise<NodeResult[]> {
    const { api, clock, log } = opts
    const results: NodeResult[] = []
    for (const [i, name] of names.entries()) {
        const decided = plan(await api.getNode(name), reference, clock.now())
        if (decided.kind === "skip") {
            if (decided.annotate) await api.setFirmware(name, reference.text)
            log(`${name}: already runs ${reference.digest} and is Ready`)
            results.push({ node: name, outcome: "skipped" })
            continue
        }
        const { update } = decided
        await api.setFirmware(name, reference.text)
        log(`${name}: picokubelet.dev/firmware=${reference.text}`)
        const verdict = await watch(update, opts)
        const ms = clock.now() - update.startedAt
        if (verdict.kind === "done") {
            log(`${name}: Ready on ${verdict.version || reference.digest} after ${seconds(ms)}`)
            results.push({ node: name, outcome: "updated", ms, version: verdict.version })
            continue
        }
        log(`${name}: update failed: ${verdict.reason}`)
        await restore(update, opts)
        results.push({ node: name, outcome: "failed", ms, reason: verdict.reason })
        for (const rest of names.slice(i + 1)) results.push({ node: rest, outcome: "not started" })
        break
    }
    return results
}

async function watch(update: Update, { api, clock, log, timeoutMs, pollMs }: RolloutOptions): Promise<Verdict & { kind: "done" | "failed" }> {
    let progress = startProgress(update)
    for (;;) {
        let node: NodeLike | undefined
        try {
            node = await api.getNode(update.node)
        } catch (e) {
            if (e instanceof NodeNotFound) return { kind: "failed", reason: "the node was deleted" }
            // a read that fails is a blip until the time limit says otherwise
        }
        if (node) {
            const step = observe(progress, node)
            progress = step.progress
            step.lines.forEach(line => log(line))
            if (step.verdict.kind !== "waiting") return step.verdict
        }
        if (clock.now() - update.startedAt >= timeoutMs) return { kind: "failed", reason: timedOut(progress, timeoutMs) }
        await clock.sleep(pollMs)
    }
}

async function restore(update: Update, { api, log }: RolloutOptions): Promise<void> {
    const previous = update.previousAnnotation ?? null
    try {
        await api.setFirmware(update.node, previous)
        log(previous ? `${update.node}: picokubelet.dev/firmware restored to ${previous}` : `${update.node}: picokubelet.dev/firmware removed (there was none)`)
    } catch (e) {
        log(`${update.node}: could not restore picokubelet.dev/firmware (${previous ?? "none"}): ${(e as Error).message}`)
    }
}
