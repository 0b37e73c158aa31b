import type { ApiServer } from "../../tools/apiserver"
import type { Simulator } from "../../tools/simulator"
import { eventually } from "./admin"

/** A condition of the Node as the emulator holds it. */
export const nodeCondition = (api: ApiServer, node: string, type: string) =>
    api.store.getNode(node)?.status?.conditions?.find((c: any) => c.type === type)

/**
 * What a simulator test starts from, whatever ran before it (or nothing):
 * the node Ready and its lease renewing.
 */
export async function readyAndRenewing(api: ApiServer, sim: Simulator, node: string) {
    await eventually("Ready=True", 30000, () => (nodeCondition(api, node, "Ready")?.status === "True" ? true : undefined))
    await sim.waitForLog(/^lease: renewed #/, 15000, sim.logs.length)
}
