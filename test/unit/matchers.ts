// @devicescript/test only has toBe/toThrow; these are the matchers our suites
// need. Any thrown error fails the test that made it.

class AssertionError extends Error {
    constructor(matcher: string, message: string) {
        super(`${matcher}: ${message}`)
        this.name = "AssertionError"
    }
}

function render(v: any): string {
    return v === undefined ? "undefined" : JSON.stringify(v)
}

/** Deep equality of JSON-shaped values (objects, arrays, primitives). */
export function deepEqual(a: any, b: any): boolean {
    if (a === b) return true
    if (typeof a !== "object" || typeof b !== "object" || !a || !b) {
        // NaN is the one value unequal to itself that tests compare
        return typeof a === "number" && typeof b === "number" && isNaN(a) && isNaN(b)
    }
    if (Array.isArray(a) !== Array.isArray(b)) return false
    if (Array.isArray(a)) {
        if (a.length !== b.length) return false
        for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false
        return true
    }
    const ka = Object.keys(a)
    const kb = Object.keys(b)
    if (ka.length !== kb.length) return false
    return ka.every(k => kb.indexOf(k) >= 0 && deepEqual(a[k], b[k]))
}

export function expectEqual(actual: any, expected: any, what?: string) {
    if (!deepEqual(actual, expected))
        throw new AssertionError(
            "expectEqual",
            `${what ? what + ": " : ""}expected ${render(expected)}, got ${render(actual)}`
        )
}

export function expectContains(haystack: string, needle: string, what?: string) {
    if (typeof haystack !== "string" || haystack.indexOf(needle) < 0)
        throw new AssertionError(
            "expectContains",
            `${what ? what + ": " : ""}expected ${render(haystack)} to contain ${render(needle)}`
        )
}

export function expectNotContains(haystack: string, needle: string, what?: string) {
    if (typeof haystack === "string" && haystack.indexOf(needle) >= 0)
        throw new AssertionError(
            "expectNotContains",
            `${what ? what + ": " : ""}expected ${render(haystack)} not to contain ${render(needle)}`
        )
}

/** Runs fn, expecting it to throw an error whose message contains `part`. */
export function expectThrows(fn: () => any, part: string) {
    let message: string = undefined
    try {
        fn()
    } catch (e: any) {
        message = "" + e.message
    }
    if (message === undefined)
        throw new AssertionError("expectThrows", `expected an error containing ${render(part)}`)
    expectContains(message, part, "error message")
}
