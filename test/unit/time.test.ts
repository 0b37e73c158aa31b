import { describe, expect, test } from "./harness"
import { civilFromDays, daysFromCivil, isLeapYear, weekdayFromDays } from "../../src/time/civil"
import { parseHttpDate } from "../../src/time/httpdate"
import { formatMicroTime, formatTime } from "../../src/time/rfc3339"
import { WallClock } from "../../src/time/clock"
import { expectEqual, expectThrows } from "./matchers"

// Epochs computed independently (GNU date -u -d ... +%s).
const KNOWN: [string, number][] = [
    ["Thu, 01 Jan 1970 00:00:00 GMT", 0],
    ["Sun, 06 Nov 1994 08:49:37 GMT", 784111777000],
    ["Sat, 01 Jan 2000 00:00:00 GMT", 946684800000],
    ["Tue, 29 Feb 2000 12:00:00 GMT", 951825600000],
    ["Fri, 31 Dec 1999 23:59:59 GMT", 946684799000],
    ["Thu, 29 Feb 2024 23:59:59 GMT", 1709251199000],
    ["Fri, 01 Mar 2024 00:00:00 GMT", 1709251200000],
    ["Tue, 19 Jan 2038 03:14:07 GMT", 2147483647000],
    ["Tue, 19 Jan 2038 03:14:08 GMT", 2147483648000],
    ["Sun, 07 Feb 2106 06:28:16 GMT", 4294967296000],
    ["Fri, 20 Nov 2026 22:37:15 GMT", 1795214235000],
    ["Thu, 31 Dec 2026 23:59:59 GMT", 1798761599000],
    ["Sun, 28 Feb 2100 23:59:59 GMT", 4107542399000],
    ["Mon, 01 Mar 2100 00:00:00 GMT", 4107542400000],
    ["Fri, 31 Dec 9999 23:59:59 GMT", 253402300799000],
]

describe("civil calendar", () => {
    test("leap years: 2000 and 2024 are, 2100 and 1900 are not", () => {
        expect(isLeapYear(2000)).toBe(true)
        expect(isLeapYear(2024)).toBe(true)
        expect(isLeapYear(2100)).toBe(false)
        expect(isLeapYear(1900)).toBe(false)
        expect(isLeapYear(2026)).toBe(false)
    })
    test("day numbers round-trip across leap days and year ends", () => {
        const dates = [
            [1970, 1, 1], [2000, 2, 29], [2000, 3, 1], [2024, 2, 29],
            [2024, 12, 31], [2025, 1, 1], [2100, 2, 28], [2100, 3, 1],
            [2038, 1, 19], [1969, 12, 31], [2400, 2, 29],
        ]
        dates.forEach(d => {
            const days = daysFromCivil(d[0], d[1], d[2])
            expectEqual(civilFromDays(days), { year: d[0], month: d[1], day: d[2] })
        })
        expect(daysFromCivil(1970, 1, 1)).toBe(0)
        expect(daysFromCivil(1969, 12, 31)).toBe(-1)
        expect(daysFromCivil(2100, 3, 1) - daysFromCivil(2100, 2, 28)).toBe(1)
        expect(daysFromCivil(2000, 3, 1) - daysFromCivil(2000, 2, 28)).toBe(2)
    })
    test("weekdays", () => {
        expect(weekdayFromDays(0)).toBe(4) // Thursday
        expect(weekdayFromDays(daysFromCivil(2026, 11, 20))).toBe(5) // Friday
        expect(weekdayFromDays(-1)).toBe(3)
    })
})

describe("IMF-fixdate", () => {
    test("known dates parse to their epoch", () => {
        KNOWN.forEach(k => expectEqual(parseHttpDate(k[0]), k[1], k[0]))
    })
    test("malformed dates are rejected", () => {
        const bad = [
            "",
            "Fri, 20 Nov 2026 22:37:15",
            "Fri, 20 Nov 2026 22:37:15 UTC",
            "Fri 20 Nov 2026 22:37:15 GMT ",
            "Friday, 20-Nov-26 22:37:15 GMT",
            "Fri Nov 20 22:37:15 2026",
            "Fri, 20 Nov 2026 24:00:00 GMT",
            "Fri, 20 Nov 2026 22:60:15 GMT",
            "Fri, 20 Nov 2026 22:37:60 GMT",
            "Fri, 31 Nov 2026 22:37:15 GMT",
            "Sun, 29 Feb 2100 00:00:00 GMT",
            "Thu, 20 Nov 2026 22:37:15 GMT",
            "Fri, 20 nov 2026 22:37:15 GMT",
            "Fri, 2O Nov 2026 22:37:15 GMT",
            "Fri, 20 Nov 2026 22:37:1x GMT",
            "Fri, 00 Nov 2026 22:37:15 GMT",
        ]
        bad.forEach(s => expectEqual(parseHttpDate(s), undefined, s))
        expectEqual(parseHttpDate(null), undefined)
        expectEqual(parseHttpDate(undefined), undefined)
    })
    test("29 February only in leap years", () => {
        expectEqual(parseHttpDate("Tue, 29 Feb 2000 12:00:00 GMT"), 951825600000)
        expectEqual(parseHttpDate("Thu, 29 Feb 2024 23:59:59 GMT"), 1709251199000)
        expectEqual(parseHttpDate("Sun, 29 Feb 2026 00:00:00 GMT"), undefined)
    })
})

describe("RFC 3339 and MicroTime", () => {
    test("Time is whole seconds", () => {
        expect(formatTime(1795214235000)).toBe("2026-11-20T22:37:15Z")
        expect(formatTime(1795214235999)).toBe("2026-11-20T22:37:15Z")
        expect(formatTime(0)).toBe("1970-01-01T00:00:00Z")
        expect(formatTime(2147483648000)).toBe("2038-01-19T03:14:08Z")
        expect(formatTime(4107542399000)).toBe("2100-02-28T23:59:59Z")
        expect(formatTime(1709251199000)).toBe("2024-02-29T23:59:59Z")
    })
    test("MicroTime has exactly six fractional digits", () => {
        expect(formatMicroTime(1795214235100)).toBe("2026-11-20T22:37:15.100000Z")
        expect(formatMicroTime(1795214235007)).toBe("2026-11-20T22:37:15.007000Z")
        expect(formatMicroTime(1795214235000)).toBe("2026-11-20T22:37:15.000000Z")
        expect(formatMicroTime(1798761599999)).toBe("2026-12-31T23:59:59.999000Z")
        expect(formatMicroTime(1798761600000)).toBe("2027-01-01T00:00:00.000000Z")
    })
    test("every known IMF-fixdate formats back to the same instant", () => {
        KNOWN.forEach(k => {
            const t = parseHttpDate(k[0])
            expect(parseHttpDate(k[0])).toBe(k[1])
            expect(formatTime(t).length).toBe(20)
        })
    })
})

describe("wall clock", () => {
    let mono = 0
    const clock = () => new WallClock(() => mono)

    test("now() before anchoring throws", () => {
        mono = 0
        expectThrows(() => clock().now(), "not anchored")
    })
    test("anchor: server time plus elapsed monotonic time", () => {
        mono = 5000
        const c = clock()
        expect(c.anchor(1795214235000)).toBe(0)
        expect(c.now()).toBe(1795214235500)
        mono = 15000
        expect(c.now()).toBe(1795214245500)
    })
    test("re-anchor measures skew both ways", () => {
        mono = 0
        const c = clock()
        c.anchor(1795214235000)
        mono = 60000
        // the server says 2 s later than our estimate: we were 2 s slow
        expect(c.anchor(1795214297000)).toBe(2000)
        mono = 120000
        expect(c.anchor(1795214354000)).toBe(-3000)
        expect(c.maxAbsSkew).toBe(3000)
    })
    test("renewTime strictly increases even when a re-anchor moves the clock back", () => {
        mono = 0
        const c = clock()
        c.anchor(1795214235000)
        const a = c.nextRenewTime()
        const b = c.nextRenewTime()
        expect(b > a).toBe(true)
        mono = 10000
        const d = c.nextRenewTime()
        c.anchor(1795214235000 - 30000)
        const e = c.nextRenewTime()
        expect(e).toBe(d + 1)
        expect(formatMicroTime(e) === formatMicroTime(d)).toBe(false)
        mono = 50000 // the clock set back 30 s has not caught up yet: still +1 ms
        expect(c.nextRenewTime()).toBe(e + 1)
        mono = 60000 // caught up: wall time again
        expect(c.nextRenewTime()).toBe(1795214235000 - 30000 + 500 - 10000 + 60000)
    })
})
