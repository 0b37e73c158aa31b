// `npm run rollout -- <reference> [node names...] [-l <selector>] [--timeout <s>] [--kubeconfig <file>]`:
// sets the desired firmware on nodes one at a time and waits for each to run
// it; the first that refuses it or runs out of time gets its previous
// annotation back and ends the rollout with exit code 1.
import { parseRolloutArgs, USAGE, UsageError } from "./args"
import { resolveTargets, rollout, systemClock } from "./controller"
import { kubeApi, loadKubeConfig } from "./kube"
import { summary } from "./summary"

const POLL_MS = 1000

async function main(argv: string[]): Promise<number> {
    let args
    try {
        args = parseRolloutArgs(argv)
    } catch (e) {
        console.error(`rollout: ${(e as Error).message}${e instanceof UsageError ? `\n${USAGE}` : ""}`)
        return 1
    }
    try {
        const api = kubeApi(loadKubeConfig(args.kubeconfig))
        const names = await resolveTargets(api, args.names, args.selector)
        console.log(`rollout of ${args.reference.text} to ${names.join(", ")}, one at a time`)
        const results = await rollout(names, args.reference, {
            api,
            clock: systemClock,
            log: line => console.log(line),
            timeoutMs: args.timeoutMs,
            pollMs: POLL_MS,
        })
        console.log("\n" + summary(results))
        return results.some(r => r.outcome === "failed") ? 1 : 0
    } catch (e) {
        console.error(`rollout: ${(e as Error).message}`)
        return 1
    }
}

main(process.argv.slice(2)).then(code => process.exit(code))
