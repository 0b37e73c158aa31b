// Proleptic Gregorian calendar arithmetic on whole days since 1970-01-01.
// DeviceScript has no Date with epoch support, so the kubelet does its own.
// Only Math.floor is used (never `| 0`): epoch milliseconds exceed 32 bits.

export const MS_PER_DAY = 86400000

export function isLeapYear(year: number): boolean {
    return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
}

export function daysInMonth(year: number, month: number): number {
    if (month === 2) return isLeapYear(year) ? 29 : 28
    return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}

// Counting years from March makes February the last month, so the leap day
// never shifts the day-of-year of the months after it.
export function daysFromCivil(year: number, month: number, day: number): number {
    const y = month <= 2 ? year - 1 : year
    const era = Math.floor(y / 400)
    const yearOfEra = y - era * 400
    const shiftedMonth = month > 2 ? month - 3 : month + 9
    const dayOfYear = Math.floor((153 * shiftedMonth + 2) / 5) + day - 1
    const dayOfEra =
        yearOfEra * 365 +
        Math.floor(yearOfEra / 4) -
        Math.floor(yearOfEra / 100) +
        dayOfYear
    return era * 146097 + dayOfEra - 719468
}

export interface CivilDate {
    year: number
    month: number
    day: number
}

export function civilFromDays(days: number): CivilDate {
    const z = days + 719468
    const era = Math.floor(z / 146097)
    const dayOfEra = z - era * 146097
    const yearOfEra = Math.floor(
        (dayOfEra -
            Math.floor(dayOfEra / 1460) +
            Math.floor(dayOfEra / 36524) -
            Math.floor(dayOfEra / 146096)) /
            365
    )
    const dayOfYear =
        dayOfEra -
        (365 * yearOfEra +
            Math.floor(yearOfEra / 4) -
            Math.floor(yearOfEra / 100))
    const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153)
    const day = dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1
    const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
    const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    return { year, month, day }
}

// 1970-01-01 was a Thursday; 0 = Sunday.
export function weekdayFromDays(days: number): number {
    const w = (days + 4) % 7
    return w < 0 ? w + 7 : w
}
