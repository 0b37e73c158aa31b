import { daysFromCivil, daysInMonth, MS_PER_DAY, weekdayFromDays } from "./civil"

// IMF-fixdate (RFC 9110 section 5.6.7) is the only form Go's net/http and so
// kube-apiserver send: "Fri, 20 Nov 2026 22:37:15 GMT", always 29 characters.
// The obsolete RFC 850 and asctime forms are rejected on purpose: seeing one
// means something other than the API server answered.

export const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
export const MONTHS = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun",
    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
]

function digits(s: string, start: number, count: number): number {
    let v = 0
    for (let i = start; i < start + count; i++) {
        const c = s.charCodeAt(i) - 48
        if (!(c >= 0 && c <= 9)) return -1
        v = v * 10 + c
    }
    return v
}

function fixedAt(s: string, pos: number, lit: string): boolean {
    return s.slice(pos, pos + lit.length) === lit
}

/** Epoch milliseconds of an IMF-fixdate, or undefined when it is not one. */
export function parseHttpDate(s: string): number {
    if (typeof s !== "string" || s.length !== 29) return undefined
    if (!fixedAt(s, 3, ", ") || s[7] !== " " || s[11] !== " ") return undefined
    if (s[16] !== " " || s[19] !== ":" || s[22] !== ":") return undefined
    if (!fixedAt(s, 25, " GMT")) return undefined
    const weekday = WEEKDAYS.indexOf(s.slice(0, 3))
    const month = MONTHS.indexOf(s.slice(8, 11)) + 1
    const day = digits(s, 5, 2)
    const year = digits(s, 12, 4)
    const hour = digits(s, 17, 2)
    const minute = digits(s, 20, 2)
    const second = digits(s, 23, 2)
    if (weekday < 0 || month < 1 || year < 0) return undefined
    if (day < 1 || day > daysInMonth(year, month)) return undefined
    if (hour < 0 || hour > 23 || minute < 0 || minute > 59) return undefined
    if (second < 0 || second > 59) return undefined
    const days = daysFromCivil(year, month, day)
    // A weekday that disagrees with the date means a corrupted header.
    if (weekdayFromDays(days) !== weekday) return undefined
    return days * MS_PER_DAY + ((hour * 60 + minute) * 60 + second) * 1000
}
