// Starting emulators for tests: a scratch data directory each, stopped by the
// test runner's `after` so no handle outlives the file.
import { mkdtempSync, rmSync } from "node:fs"
import { after, before } from "node:test"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { startApiServer, type ApiServer, type ApiServerOptions } from "../../tools/apiserver/index"
import { RawClient } from "./wire"

export interface Emulated {
    server: ApiServer
    /** A kept-alive raw connection to it. */
    conn: RawClient
}

/**
 * Call in a describe body: starts an emulator before its tests and stops it
 * (with its connection and scratch directory) after them.
 */
export function useEmulator(opts: ApiServerOptions = {}): Emulated {
    const ctx = {} as Emulated
    const dataDir = mkdtempSync(join(tmpdir(), "apiserver-test-"))
    before(async () => {
        ctx.server = await startApiServer({ port: 0, tls: false, quiet: true, dataDir, ...opts })
        ctx.conn = new RawClient(ctx.server)
    })
    after(async () => {
        ctx.conn?.close()
        await ctx.server?.stop()
        rmSync(dataDir, { recursive: true, force: true })
    })
    return ctx
}

/** The Node picokubelet registers (as in fixture 02), named `name`. */
export function nodeBody(name: string, internalIP = "192.168.0.111"): object {
    return {
        apiVersion: "v1",
        kind: "Node",
        metadata: {
            name,
            labels: { "kubernetes.io/hostname": name, "kubernetes.io/os": "devicescript", "kubernetes.io/arch": "xtensa-lx7" },
        },
        spec: { taints: [{ key: "picokubelet.dev/no-containers", value: "true", effect: "NoSchedule" }] },
        status: {
            capacity: { cpu: "240m", memory: "320Ki", pods: "1" },
            allocatable: { cpu: "240m", memory: "320Ki", pods: "1" },
            nodeInfo: {
                machineID: "m", systemUUID: "s", bootID: "b", kernelVersion: "devicescript-2.16.4",
                osImage: "picokubelet on DeviceScript", containerRuntimeVersion: "lies://0.1.0",
                kubeletVersion: "v1.31.1-picokubelet", kubeProxyVersion: "v1.31.1-picokubelet",
                operatingSystem: "devicescript", architecture: "xtensa-lx7",
            },
            addresses: [{ type: "InternalIP", address: internalIP }, { type: "Hostname", address: name }],
            daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
        },
    }
}

export function leaseBody(name: string, renewTime: string, ownerUid?: string): object {
    const metadata: Record<string, unknown> = { name, namespace: "kube-node-lease" }
    if (ownerUid) metadata.ownerReferences = [{ apiVersion: "v1", kind: "Node", name, uid: ownerUid }]
    return {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata,
        spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime },
    }
}

/** A MicroTime `ms` after a fixed instant. */
export const micro = (ms: number) => new Date(Date.parse("2026-11-20T22:39:29Z") + ms).toISOString().replace("Z", "000Z")

export const leasePath = (name: string) => `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${name}`
export const SMP = "application/strategic-merge-patch+json"
export const MERGE = "application/merge-patch+json"
export const JSONPATCH = "application/json-patch+json"
