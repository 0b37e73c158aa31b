// Response (and request) headers: names compared without case, a repeated
// header joined with ", " as RFC 9110 allows.
export class Headers {
    private data: Record<string, string> = {}

    append(name: string, value: string) {
        const k = name.toLowerCase()
        const old = this.data[k]
        this.data[k] = old === undefined ? value : old + ", " + value
    }

    /** The value, or null when the header is absent (as fetch's Headers). */
    get(name: string): string | null {
        const v = this.data[name.toLowerCase()]
        return v === undefined ? null : v
    }
}
