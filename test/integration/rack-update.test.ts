import assert from "node:assert/strict"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { after, before, describe, test } from "node:test"
import { ApiServer, startApiServer } from "../../tools/apiserver"
import { Registry, RegistrySkipped, startRegistry } from "../../tools/registry"
import { pushFirmware } from "../../tools/registry/push"
import { Board, SimulatorHost } from "../../tools/simulator"
import { adminRequest, eventually } from "../harness/admin"
import { nodeCondition } from "../harness/node-state"
import { buildFirmwareVariant } from "./lib/firmware-variant"

// Two boards on one bus, each with its own updater: the firmware's Updater
// role must be bound to its own board's service (as its Platform role is),
// or an update asked of one node would flash the other. The registry wants
// a token even for anonymous pulls, as Docker Hub and GHCR do.

const NODES = ["esp-rack-ota-01", "esp-rack-ota-02"]

describe("firmware updates in a rack", () => {
    let api: ApiServer
    let host: SimulatorHost
    let registry: Registry | undefined
    const boards: Board[] = []
    const toolLog: string[] = []
    const node = (name: string) => api.store.getNode(name)

    before(async () => {
        try {
            // kid-signed tokens (~0.8 KB): an x5c one (~2.2 KB) rides on every window's request and
            // once ran the pull out of memory (the pull's headroom is 3 KB; see README)
            registry = await startRegistry({ log: () => {}, tokenAuth: true, tokenSigning: "kid" })
        } catch (e) {
            if (e instanceof RegistrySkipped && !process.env.CI) return
            throw e
        }
        api = await startApiServer({ port: 0, quiet: true, dataDir: mkdtempSync(join(tmpdir(), "pk-apiserver-")) })
        host = await SimulatorHost.start()
        for (const [i, name] of NODES.entries())
            boards.push(
                await host.addBoard({
                    settings: { K3S_HOST: "localhost", K3S_PORT: api.port, K3S_TOKEN: api.tokens.bootstrap, NODE_NAME: name, RENEW_SECS: 2, LEASE_SECS: 10, STATUS_SECS: 3 },
                    vmEnv: { NODE_EXTRA_CA_CERTS: api.caFile! },
                    platform: { ip: `192.168.0.15${i + 1}` },
                    onToolLog: line => toolLog.push(`${name}: ${line}`),
                })
            )
        for (const name of NODES)
            await eventually(`${name} Ready`, 60_000, () => (nodeCondition(api, name, "Ready")?.status === "True" ? true : undefined))
    })
    after(async () => {
        // each board's own words, for a failure's post-mortem
        writeFileSync(join(tmpdir(), "picokubelet-rack-update.log"), [...boards.map((b, i) => [`--- ${NODES[i]}`, ...b.logs].join("\n")), "--- tools", ...toolLog].join("\n"))
        await host?.stop()
        await api?.stop()
        await registry?.stop()
    })

    test("the second board is updated; the first keeps its firmware", async t => {
        if (!registry) return t.skip("no registry binary and no Go to build one")
        const v2 = await buildFirmwareVariant("0.2.0")
        const pushed = await pushFirmware(`${registry.host}/picokubelet/firmware:v2`, v2, { credentials: registry.credentials })
        registry.tokenRequests!.length = 0
        const [first, second] = NODES
        const firstBoot = node(first).status.nodeInfo.bootID
        const r = await adminRequest(api, "PATCH", `/api/v1/nodes/${second}`, { metadata: { annotations: { "picokubelet.dev/firmware": pushed.pinned } } }, "application/merge-patch+json")
        assert.equal(r.status, 200)
        await eventually("the second node on v0.2.0", 180_000, () =>
            node(second)?.metadata?.annotations?.["picokubelet.dev/firmware-digest"] === pushed.digest &&
            node(second).status.nodeInfo.osImage === "picokubelet v0.2.0 on DeviceScript" &&
            nodeCondition(api, second, "Ready")?.status === "True"
                ? true
                : undefined
        )
        assert.equal(node(first).status.nodeInfo.bootID, firstBoot, "the first board did not reboot")
        assert.notEqual(node(first).status.nodeInfo.osImage, "picokubelet v0.2.0 on DeviceScript")
        assert.equal(node(first).metadata.annotations["picokubelet.dev/firmware-digest"], undefined)
        assert.equal(boards[0].updater!.machine.running, null, "nothing was installed on the first board")
        assert.ok(boards[1].updater!.machine.running, "the second board's own updater installed it")
        assert.equal(nodeCondition(api, first, "Ready")?.status, "True")
        // the node asked the realm for an anonymous pull token, and only for that
        assert.ok(registry.tokenRequests!.length >= 1)
        assert.ok(registry.tokenRequests!.every(r => !r.credentials && r.scopes.join() === "repository:picokubelet/firmware:pull"), JSON.stringify(registry.tokenRequests))
    })
})
