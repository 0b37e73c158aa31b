import { describe, expect, test } from "../harness"
import { expectEqual } from "../matchers"
import { ConditionTracker, deriveConditions, NodeSample } from "../../../src/k8s/conditions"

function sample(): NodeSample {
    return {
        heapFree: 40000,
        heapSimulated: false,
        memLowBytes: 20480,
        uptimeMs: 60000,
        renewals: 5,
        reconnects: 0,
        lastReconnectMs: -1,
        transportChanges: 0,
        maxAbsSkewMs: 300,
    }
}

function ofType(conditions: any[], type: string) {
    return conditions.find((c: any) => c.type === type)
}

function byType(s: NodeSample, type: string) {
    const t = new ConditionTracker()
    t.update(deriveConditions(s), 0)
    return ofType(t.toJson(0), type)
}

describe("conditions: rules", () => {
    test("all nine types, standard ones first", () => {
        const t = new ConditionTracker()
        t.update(deriveConditions(sample()), 0)
        expectEqual(
            t.toJson(0).map((c: any) => c.type),
            ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure", "Vibes", "Caffeinated", "Existential", "Peckish", "Haunted"]
        )
    })
    test("Ready, DiskPressure and PIDPressure", () => {
        expectEqual(byType(sample(), "Ready").reason, "KubeletReady")
        const disk = byType(sample(), "DiskPressure")
        expectEqual([disk.status, disk.reason, disk.message], ["False", "KubeletHasNoDiskPressure", "there is no disk"])
        const pid = byType(sample(), "PIDPressure")
        expectEqual([pid.status, pid.reason, pid.message], ["False", "KubeletHasSufficientPID", "PIDs are also lies"])
    })
    test("MemoryPressure below the threshold only", () => {
        const s = sample()
        s.heapFree = 20480
        expectEqual(byType(s, "MemoryPressure").status, "False")
        expectEqual(byType(s, "MemoryPressure").reason, "KubeletHasSufficientMemory")
        s.heapFree = 20479
        expectEqual(byType(s, "MemoryPressure").status, "True")
        expectEqual(byType(s, "MemoryPressure").reason, "KubeletHasInsufficientMemory")
    })
    test("no heap figures yet: MemoryPressure and Vibes are Unknown, not guessed", () => {
        const s = sample()
        s.heapFree = -1
        expectEqual(byType(s, "MemoryPressure").status, "Unknown")
        expectEqual(byType(s, "MemoryPressure").reason, "NoHeapFigures")
        expectEqual(byType(s, "Vibes").status, "Unknown")
    })
    test("a heap figure set by the simulated platform says so", () => {
        const s = sample()
        s.heapSimulated = true
        expectEqual(byType(s, "MemoryPressure").message, "40000 bytes of heap free (simulated)")
        expectEqual(byType(s, "Vibes").message, "61% of the heap is free (simulated)")
        s.heapSimulated = false
        expectEqual(byType(s, "MemoryPressure").message, "40000 bytes of heap free")
    })
    test("Vibes from the free heap share", () => {
        const s = sample()
        s.heapFree = 32768
        expectEqual(byType(s, "Vibes").status, "True")
        s.heapFree = 32767
        expectEqual(byType(s, "Vibes").status, "False")
    })
    test("Caffeinated for the first hour", () => {
        const s = sample()
        s.uptimeMs = 3599999
        expectEqual(byType(s, "Caffeinated").status, "True")
        s.uptimeMs = 3600000
        expectEqual(byType(s, "Caffeinated").status, "False")
    })
    test("Existential after a day of renewals", () => {
        const s = sample()
        s.renewals = 8639
        expectEqual(byType(s, "Existential").status, "False")
        s.renewals = 8640
        expectEqual(byType(s, "Existential").status, "True")
    })
    test("Peckish for 15 minutes after a reconnect", () => {
        const s = sample()
        expectEqual(byType(s, "Peckish").status, "False")
        s.reconnects = 1
        s.lastReconnectMs = 1000
        s.uptimeMs = 1000 + 15 * 60000 - 1
        expectEqual(byType(s, "Peckish").status, "True")
        s.uptimeMs = 1000 + 15 * 60000
        expectEqual(byType(s, "Peckish").status, "False")
    })
    test("Haunted by transport changes or a jumping clock", () => {
        const s = sample()
        expectEqual(byType(s, "Haunted").status, "False")
        s.transportChanges = 1
        expectEqual(byType(s, "Haunted").status, "True")
        s.transportChanges = 0
        s.maxAbsSkewMs = 5001
        expectEqual(byType(s, "Haunted").status, "True")
    })
})

describe("conditions: transitions", () => {
    test("heartbeat moves every time, transition only on a flip", () => {
        const t = new ConditionTracker()
        const s = sample()
        const T0 = 1795214235000
        expect(t.update(deriveConditions(s), T0)).toBe(true)
        s.heapFree = 39000 // message changes, status does not
        expect(t.update(deriveConditions(s), T0 + 10000)).toBe(false)
        let mem = ofType(t.toJson(T0 + 10000), "MemoryPressure")
        expectEqual(mem.lastHeartbeatTime, "2026-11-20T22:37:25Z")
        expectEqual(mem.lastTransitionTime, "2026-11-20T22:37:15Z")
        s.heapFree = 1000
        expect(t.update(deriveConditions(s), T0 + 20000)).toBe(true)
        mem = ofType(t.toJson(T0 + 20000), "MemoryPressure")
        expectEqual([mem.status, mem.lastTransitionTime], ["True", "2026-11-20T22:37:35Z"])
        expectEqual(ofType(t.toJson(T0 + 20000), "DiskPressure").lastTransitionTime, "2026-11-20T22:37:15Z")
        expectEqual(t.status("MemoryPressure"), "True")
        s.heapFree = 1100
        expect(t.update(deriveConditions(s), T0 + 30000)).toBe(false)
    })
})
