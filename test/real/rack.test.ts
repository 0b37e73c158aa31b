import assert from "node:assert/strict"
import { after, before, describe, test } from "node:test"
import { Cluster, startCluster } from "../../tools/cluster"
import { Board, SimulatorHost } from "../../tools/simulator"
import { eventually } from "../harness/admin"
import { condition, nodeSettings } from "./harness"

// The rack on a real control plane: eight boards on one devtools, each with
// its own node name, token and platform service. Renew 2 s, lease 8 s,
// node-monitor grace 12 s.

const BOARDS = 8
const GRACE_S = 12
const names = Array.from({ length: BOARDS }, (_, i) => `esp-rack-${String(i + 1).padStart(2, "0")}`)

describe("a rack of eight boards on a real control plane", () => {
    let cluster: Cluster
    let host: SimulatorHost
    const boards: Board[] = []

    const readyOf = async () => {
        const nodes = (await cluster.kubectl.json("get", "nodes")).items
        return new Map<string, string>(nodes.map((n: any) => [n.metadata.name, condition(n, "Ready")?.status]))
    }

    before(async () => {
        cluster = await startCluster({ nodeNames: names, nodeMonitorGracePeriodSeconds: GRACE_S, nodeMonitorPeriodSeconds: 1 })
        host = await SimulatorHost.start()
        for (const [i, node] of names.entries())
            boards.push(
                await host.addBoard({
                    settings: { ...nodeSettings(cluster, node), K3S_TOKEN: cluster.tokenFor(node) },
                    vmEnv: { NODE_EXTRA_CA_CERTS: cluster.caFile },
                    platform: { ip: `192.168.0.${101 + i}`, gcFree: 40000 },
                })
            )
    })
    after(async () => {
        await host?.stop()
        await cluster?.stop()
    })

    test("all eight are Ready, each at its own address, and every Lease renews", async () => {
        await eventually("eight Ready nodes", 60000, async () => {
            const ready = await readyOf()
            return names.every(n => ready.get(n) === "True") ? true : undefined
        })
        const nodes = (await cluster.kubectl.json("get", "nodes")).items
        for (const [i, node] of names.entries()) {
            const n = nodes.find((x: any) => x.metadata.name === node)
            assert.equal(n.status.addresses[0].address, `192.168.0.${101 + i}`, node)
        }
        const renewTimes = async () =>
            new Map<string, string>((await cluster.kubectl.json("-n", "kube-node-lease", "get", "leases")).items.map((l: any) => [l.metadata.name, l.spec.renewTime]))
        const first = await renewTimes()
        await eventually("every lease renewed again", 20000, async () => {
            const now = await renewTimes()
            return names.every(n => now.get(n) && now.get(n)! > first.get(n)!) ? true : undefined
        })
    })

    test("one board powered off: only its node goes Unknown; powered on: Ready again", async () => {
        const victim = 3
        await boards[victim].powerOff()
        await eventually(`${names[victim]} Unknown`, (GRACE_S + 20) * 1000, async () => ((await readyOf()).get(names[victim]) === "Unknown" ? true : undefined))
        const ready = await readyOf()
        for (const [i, n] of names.entries()) if (i !== victim) assert.equal(ready.get(n), "True", `${n} stayed Ready`)
        await boards[victim].powerOn()
        await eventually(`${names[victim]} Ready again`, 60000, async () => ((await readyOf()).get(names[victim]) === "True" ? true : undefined))
    })

    test("a cable pulled on one board pauses only its renewals", async () => {
        const pulled = 5
        const from = boards.map(b => b.logs.length)
        await boards[pulled].platform!.setLink(false)
        await boards[pulled].waitForLog(/^lease: link down; renewals paused/, 10000, from[pulled])
        // the others renew on, and none of them saw its link go down
        await Promise.all(boards.map((b, i) => (i === pulled ? undefined : b.waitForLog(/^lease: renewed #/, 10000, from[i]))))
        for (const [i, b] of boards.entries()) if (i !== pulled) assert.ok(!b.logs.slice(from[i]).some(l => /link down/.test(l)), `${names[i]} saw a link down`)
        await boards[pulled].platform!.setLink(true)
        await boards[pulled].waitForLog(/^lease: link up; renewals resume/, 10000, from[pulled])
    })
})
