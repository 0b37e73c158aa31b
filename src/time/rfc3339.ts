import { civilFromDays, MS_PER_DAY } from "./civil"

// Kubernetes writes metav1.Time as RFC 3339 in whole seconds and
// metav1.MicroTime with exactly six fractional digits; the API server answers
// 422 to a renewTime with any other precision.

function pad(n: number, width: number): string {
    let s = "" + n
    while (s.length < width) s = "0" + s
    return s
}

function split(epochMs: number) {
    const ms = Math.floor(epochMs)
    const days = Math.floor(ms / MS_PER_DAY)
    const msOfDay = ms - days * MS_PER_DAY
    const date = civilFromDays(days)
    const secOfDay = Math.floor(msOfDay / 1000)
    const stamp =
        pad(date.year, 4) +
        "-" +
        pad(date.month, 2) +
        "-" +
        pad(date.day, 2) +
        "T" +
        pad(Math.floor(secOfDay / 3600), 2) +
        ":" +
        pad(Math.floor(secOfDay / 60) % 60, 2) +
        ":" +
        pad(secOfDay % 60, 2)
    return { stamp, millis: msOfDay % 1000 }
}

/** metav1.Time: "2026-11-20T22:37:15Z" (milliseconds dropped). */
export function formatTime(epochMs: number): string {
    return split(epochMs).stamp + "Z"
}

/** metav1.MicroTime: "2026-11-20T22:37:15.100000Z" (millisecond clock, six digits). */
export function formatMicroTime(epochMs: number): string {
    const parts = split(epochMs)
    return parts.stamp + "." + pad(parts.millis, 3) + "000Z"
}
