import { describe, expect, test } from "../harness"
import { LedStatus, Stage } from "../../../src/led/status"
import { Pattern } from "../../../src/led/patterns"

const BOOT = 1000

function after(s: LedStatus, ms: number): Pattern {
    return s.pattern(BOOT + ms)
}

describe("led status: priorities", () => {
    test("self-test first, then booting, then connecting", () => {
        const s = new LedStatus(BOOT)
        expect(after(s, 0)).toBe(Pattern.SelfTest)
        expect(after(s, 799)).toBe(Pattern.SelfTest)
        expect(after(s, 800)).toBe(Pattern.Booting)
        s.stage = Stage.Connecting
        expect(after(s, 900)).toBe(Pattern.Connecting)
        s.startSelfTest(BOOT + 2000)
        expect(after(s, 2000)).toBe(Pattern.SelfTest)
        expect(after(s, 2800)).toBe(Pattern.Connecting)
    })
    test("healthy only after the first renewal, not at lease creation", () => {
        const s = new LedStatus(BOOT)
        s.stage = Stage.Running
        expect(after(s, 2000)).toBe(Pattern.Connecting)
        s.renewed(BOOT + 2000)
        expect(after(s, 2000)).toBe(Pattern.Activity)
        expect(after(s, 2099)).toBe(Pattern.Activity)
        expect(after(s, 2100)).toBe(Pattern.Healthy)
        s.renewed(BOOT + 12000)
        expect(after(s, 12050)).toBe(Pattern.Activity)
    })
    test("warning beats activity and healthy", () => {
        const s = new LedStatus(BOOT)
        s.stage = Stage.Running
        s.renewed(BOOT + 2000)
        s.memoryPressure = true
        expect(after(s, 2000)).toBe(Pattern.Warning)
        s.memoryPressure = false
        s.credentialRefused = true
        expect(after(s, 5000)).toBe(Pattern.Warning)
        s.credentialRefused = false
        expect(after(s, 5000)).toBe(Pattern.Healthy)
        const b = new LedStatus(BOOT)
        b.settingsInvalid = true
        expect(after(b, 1000)).toBe(Pattern.Warning)
    })
    test("disconnected beats warning; panic beats everything", () => {
        const s = new LedStatus(BOOT)
        s.stage = Stage.Running
        s.renewed(BOOT + 2000)
        s.credentialRefused = true
        s.apiUnreachable = true
        expect(after(s, 3000)).toBe(Pattern.Disconnected)
        s.apiUnreachable = false
        s.linkDown = true
        expect(after(s, 3000)).toBe(Pattern.Disconnected)
        s.panic = true
        expect(after(s, 3000)).toBe(Pattern.Panic)
        expect(after(s, 0)).toBe(Pattern.Panic)
        s.panic = false
        s.linkDown = false
        expect(after(s, 3000)).toBe(Pattern.Warning)
    })
})
