// Fuzz target: IMF-fixdate parsing (the Date header anchors the wall clock)
// and the RFC 3339 formatters fed with what it returns. Properties: a date
// round-trips; whatever else is accepted is exactly the canonical text of
// the value returned (a mutated date is refused or still says the same);
// any string at all gives a number or undefined.
import { civilFromDays, daysFromCivil, MS_PER_DAY, weekdayFromDays } from "../../../src/time/civil"
import { MONTHS, parseHttpDate, WEEKDAYS } from "../../../src/time/httpdate"
import { formatMicroTime, formatTime } from "../../../src/time/rfc3339"
import { FuzzTarget, Rng, check } from "./rng"

/** Years 0000..9999: what four digits can say. */
const MIN_DAY = daysFromCivil(0, 1, 1)
const MAX_DAY = daysFromCivil(9999, 12, 31)

function two(n: number) {
    return n < 10 ? "0" + n : "" + n
}

/** The canonical IMF-fixdate of whole-second epoch ms. */
function imf(ms: number): string {
    const days = Math.floor(ms / MS_PER_DAY)
    const d = civilFromDays(days)
    const sec = Math.floor((ms - days * MS_PER_DAY) / 1000)
    const year = ("000" + d.year).slice(-4)
    return `${WEEKDAYS[weekdayFromDays(days)]}, ${two(d.day)} ${MONTHS[d.month - 1]} ${year} ${two(Math.floor(sec / 3600))}:${two(Math.floor(sec / 60) % 60)}:${two(sec % 60)} GMT`
}

const CHARS = "0123456789 ,:GMTFriSunJanFebDec-+\t\u00e9\u2603\0"

function randomMs(rng: Rng): number {
    const day = MIN_DAY + rng.int(MAX_DAY - MIN_DAY + 1)
    return day * MS_PER_DAY + rng.int(86400) * 1000
}

function checkRfc3339(ms: number) {
    const t = formatTime(ms)
    const micro = formatMicroTime(ms + 999)
    check(t.length === 20 && micro.length === 27, `formatted ${t} / ${micro}`)
    const back = daysFromCivil(parseInt(t.slice(0, 4)), parseInt(t.slice(5, 7)), parseInt(t.slice(8, 10))) * MS_PER_DAY +
        ((parseInt(t.slice(11, 13)) * 60 + parseInt(t.slice(14, 16))) * 60 + parseInt(t.slice(17, 19))) * 1000
    check(back === ms, `${t} is not ${ms}`)
    check(micro.slice(0, 19) === t.slice(0, 19) && micro.slice(19) === ".999000Z", `${micro} is not ${t} plus 999 ms`)
}

export const datesTarget: FuzzTarget = {
    name: "dates",
    run: (rng: Rng) => {
        const ms = randomMs(rng)
        const text = imf(ms)
        check(parseHttpDate(text) === ms, `${text} did not parse to ${ms}`)
        checkRfc3339(ms)
        // one to three characters replaced, inserted or deleted
        let m = text
        const n = 1 + rng.int(3)
        for (let i = 0; i < n; i++) {
            const at = rng.int(m.length + 1)
            const c = rng.oneIn(2) ? "" + rng.int(10) : CHARS[rng.int(CHARS.length)]
            const op = rng.int(3)
            m = m.slice(0, at) + (op === 2 ? "" : c) + m.slice(op === 1 ? at : at + 1)
        }
        const got = parseHttpDate(m)
        check(got === undefined || imf(got) === m, `${JSON.stringify(m)} parsed to ${got}, which is ${imf(got)}`)
        let junk = ""
        const len = rng.oneIn(2) ? 29 : rng.int(40)
        for (let i = 0; i < len; i++) junk += CHARS[rng.int(CHARS.length)]
        const j = parseHttpDate(junk)
        check(j === undefined || imf(j) === junk, `${JSON.stringify(junk)} parsed to ${j}`)
    },
}
