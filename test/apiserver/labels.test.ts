// Label selectors as kube-apiserver parses them: the set-based forms too,
// which `kubectl get -l` and `npm run rollout -l` pass through.
import assert from "node:assert/strict"
import { describe, test } from "node:test"
import { labelMatcher } from "../../tools/apiserver/labels"
import { MERGE, nodeBody, useEmulator } from "./harness"
import { call } from "./wire"

describe("label selectors", () => {
    const labels = { rack: "a", tier: "edge", gen: "3" }
    const rows: [string, boolean][] = [
        ["", true],
        ["rack=a", true],
        ["rack==a", true],
        ["rack = a", true],
        ["rack=b", false],
        ["rack!=b", true],
        ["zone!=x", true],
        ["rack", true],
        ["zone", false],
        ["!zone", true],
        ["!rack", false],
        ["rack in (a,b)", true],
        ["rack in (b, c)", false],
        ["zone in (a)", false],
        ["rack notin (b,c)", true],
        ["rack notin (a)", false],
        ["zone notin (a)", true],
        ["gen>2", true],
        ["gen<3", false],
        ["zone>1", false],
        ["rack=a,tier in (edge,core),!zone", true],
        ["rack=a,tier=core", false],
        ["rack=", false],
        ["kubernetes.io/os!=devicescript", true],
    ]
    for (const [selector, matches] of rows)
        test(`${JSON.stringify(selector)} ${matches ? "matches" : "does not match"}`, () => {
            assert.equal(labelMatcher(selector)(labels), matches)
        })

    for (const bad of ["rack=a,", "rack in a", "rack in (a", "gen>x", "=a", "rack=a=b"])
        test(`${JSON.stringify(bad)} is refused`, () => {
            assert.throws(() => labelMatcher(bad), /^Error: unable to parse requirement: /)
        })

    describe("over the wire", () => {
        const ctx = useEmulator()
        const names = async (selector: string) => {
            const r = await call(ctx.conn, "GET", `/api/v1/nodes?labelSelector=${encodeURIComponent(selector)}`, ctx.server.tokens.admin)
            return r.status === 200 ? r.json.items.map((n: any) => n.metadata.name) : r.status
        }

        test("nodes listed by existence and set selectors; a bad one is 400", async () => {
            for (const [name, rack] of [["l1", "a"], ["l2", "b"], ["l3", undefined]] as const) {
                assert.equal((await call(ctx.conn, "POST", "/api/v1/nodes", ctx.server.tokens.admin, nodeBody(name))).status, 201)
                if (rack) {
                    const r = await call(ctx.conn, "PATCH", `/api/v1/nodes/${name}`, ctx.server.tokens.admin, { metadata: { labels: { rack } } }, MERGE)
                    assert.equal(r.status, 200)
                }
            }
            assert.deepEqual(await names("rack"), ["l1", "l2"])
            assert.deepEqual(await names("!rack"), ["l3"])
            assert.deepEqual(await names("rack in (a,c)"), ["l1"])
            assert.deepEqual(await names("rack notin (a)"), ["l2", "l3"])
            assert.deepEqual(await names("kubernetes.io/os=devicescript,rack!=b"), ["l1", "l3"])
            assert.equal(await names("rack in (a"), 400)
        })
    })
})
