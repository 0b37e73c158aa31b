import { describe, expect, test } from "../harness"
import { machineIdFor, randomUuid, uuidFromHex } from "../../../src/kubelet/identity"

function isHex(s: string) {
    for (let i = 0; i < s.length; i++) if ("0123456789abcdef".indexOf(s[i]) < 0) return false
    return true
}

describe("node identity", () => {
    test("machineID is 32 hex digits and stable", () => {
        const id = machineIdFor("C0FFEE0123456789")
        expect(id).toBe("7069636f6b75626cc0ffee0123456789")
        expect(id.length).toBe(32)
        expect(uuidFromHex(id)).toBe("7069636f-6b75-626c-c0ff-ee0123456789")
    })
    test("bootID is a fresh version-4 UUID each time", () => {
        const a = randomUuid()
        const b = randomUuid()
        expect(a === b).toBe(false)
        expect(a.length).toBe(36)
        expect(a[14]).toBe("4")
        expect("89ab".indexOf(a[19]) >= 0).toBe(true)
        expect(isHex(a.split("-").join(""))).toBe(true)
    })
})
