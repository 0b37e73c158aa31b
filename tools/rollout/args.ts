// The command line: npm run rollout -- <reference> [node names...]
//   [-l <label selector>] [--timeout <seconds>] [--kubeconfig <file>]
import { parseArgs } from "node:util"
import { DEFAULT_SELECTOR } from "./node"
import { parseDigestReference, type DigestReference } from "./reference"

export const USAGE =
    "usage: npm run rollout -- <registry>/<repository>@sha256:<digest> [node names...] [-l <label selector>] [--timeout <seconds>] [--kubeconfig <file>]"

/** The command line's shape is wrong (as opposed to a value in it): the usage line helps. */
export class UsageError extends Error {}

export interface RolloutArgs {
    reference: DigestReference
    names: string[]
    selector: string
    timeoutMs: number
    /** Undefined: $KUBECONFIG, else the emulator's admin kubeconfig. */
    kubeconfig: string | undefined
}

export function parseRolloutArgs(argv: string[]): RolloutArgs {
    let parsed
    try {
        parsed = parseArgs({
            args: argv,
            allowPositionals: true,
            options: {
                selector: { type: "string", short: "l" },
                timeout: { type: "string", default: "600" },
                kubeconfig: { type: "string" },
            },
        })
    } catch (e) {
        throw new UsageError((e as Error).message)
    }
    const { values, positionals } = parsed
    const [reference, ...names] = positionals
    if (!reference) throw new UsageError("no reference given")
    if (names.length > 0 && values.selector !== undefined) throw new UsageError("give node names or a label selector, not both")
    if (values.selector === "") throw new Error("the label selector is empty")
    const timeout = Number(values.timeout)
    if (!/^\d+(\.\d+)?$/.test(values.timeout!) || !(timeout > 0)) throw new Error(`--timeout ${JSON.stringify(values.timeout)} is not a positive number of seconds`)
    return {
        reference: parseDigestReference(reference),
        names,
        selector: values.selector ?? DEFAULT_SELECTOR,
        timeoutMs: timeout * 1000,
        kubeconfig: values.kubeconfig,
    }
}
