import assert from "node:assert/strict"
import { describe, test } from "node:test"
import { parseRolloutArgs, UsageError } from "../../tools/rollout/args"
import { REF } from "./fixtures"

const shown = (argv: string[]) => argv.map(a => (a === REF.text ? "<ref>" : a)).join(" ") || "(nothing)"

describe("the rollout command line", () => {
    test("defaults: our nodes by label, 600 s, no kubeconfig named", () => {
        const a = parseRolloutArgs([REF.text])
        assert.deepEqual(a.reference, REF)
        assert.deepEqual(a.names, [])
        assert.equal(a.selector, "kubernetes.io/os=devicescript")
        assert.equal(a.timeoutMs, 600_000)
        assert.equal(a.kubeconfig, undefined)
    })

    test("names, a timeout and a kubeconfig", () => {
        const a = parseRolloutArgs([REF.text, "node-02", "node-01", "--timeout", "90", "--kubeconfig", "/k"])
        assert.deepEqual(a.names, ["node-02", "node-01"])
        assert.equal(a.timeoutMs, 90_000)
        assert.equal(a.kubeconfig, "/k")
    })

    test("a label selector, short and long", () => {
        assert.equal(parseRolloutArgs([REF.text, "-l", "rack=a"]).selector, "rack=a")
        assert.equal(parseRolloutArgs(["--selector=rack=b", REF.text]).selector, "rack=b")
    })

    const usage: [string[], RegExp][] = [
        [[], /no reference given/],
        [[REF.text, "n1", "-l", "rack=a"], /names or a label selector, not both/],
        [[REF.text, "--bogus"], /Unknown option '--bogus'/],
    ]
    for (const [argv, why] of usage)
        test(`usage error: ${shown(argv)}`, () => {
            assert.throws(() => parseRolloutArgs(argv), (e: Error) => e instanceof UsageError && why.test(e.message))
        })

    const values: [string[], RegExp][] = [
        [[REF.text, "--timeout", "0"], /--timeout "0" is not a positive number/],
        [[REF.text, "--timeout", "10m"], /--timeout "10m" is not a positive number/],
        [[REF.text, "-l", ""], /selector is empty/],
        [["reg.io/fw:v1"], /a tag can move/],
    ]
    for (const [argv, why] of values)
        test(`value error: ${shown(argv)}`, () => {
            assert.throws(() => parseRolloutArgs(argv), (e: Error) => !(e instanceof UsageError) && why.test(e.message))
        })
})
