// The firmware in the simulator against the real control plane, as a user
// deploys it: settings in .env.local, the cluster CA trusted through
// NODE_EXTRA_CA_CERTS (K3S_CA_FILE in npm start).
import { Cluster } from "../../tools/cluster"
import { Settings, Simulator } from "../../tools/simulator"

export const RENEW_S = 2

export function nodeSettings(cluster: Cluster, node: string, extra: Settings = {}): Settings {
    return {
        K3S_HOST: "localhost",
        K3S_PORT: cluster.port,
        K3S_TOKEN: cluster.token,
        NODE_NAME: node,
        RENEW_SECS: RENEW_S,
        LEASE_SECS: 8,
        // long, so that every status post seen in a test was caused by something
        STATUS_SECS: 60,
        ...extra,
    }
}

export function startBoard(cluster: Cluster, settings: Settings, ip = "192.168.0.111"): Promise<Simulator> {
    return Simulator.start({
        settings,
        vmEnv: { NODE_EXTRA_CA_CERTS: cluster.caFile },
        platform: { ip, gcFree: 40000 },
    })
}

export const condition = (node: any, type: string) => node?.status?.conditions?.find((c: any) => c.type === type)

export async function getNode(cluster: Cluster, name: string): Promise<any | undefined> {
    try {
        return await cluster.kubectl.json("get", "node", name)
    } catch (e: any) {
        if (/NotFound/.test(e.message)) return undefined
        throw e
    }
}

export async function getLease(cluster: Cluster, name: string): Promise<any | undefined> {
    try {
        return await cluster.kubectl.json("-n", "kube-node-lease", "get", "lease", name)
    } catch (e: any) {
        if (/NotFound/.test(e.message)) return undefined
        throw e
    }
}

export const renewalNumbers = (sim: Simulator) =>
    sim.logs.map(l => /^lease: renewed #(\d+)/.exec(l)).filter(Boolean).map(m => Number(m![1]))

export const lastRenewal = (sim: Simulator) => Math.max(0, ...renewalNumbers(sim))
