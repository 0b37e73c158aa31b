// Label selectors as apimachinery's labels.Parse reads them: comma-separated
// requirements, each `key`, `!key`, `key=v`, `key==v`, `key!=v`,
// `key in (a,b)`, `key notin (a,b)`, `key>n` or `key<n`. `!=` and `notin`
// also match objects without the key, as in kube-apiserver.

type Labels = Record<string, string> | undefined
type Requirement = (labels: Labels) => boolean

const KEY = "[A-Za-z0-9][-A-Za-z0-9_./]*"
const VALUE = "[-A-Za-z0-9_.]*"
const EXISTS = new RegExp(`^(!?)\\s*(${KEY})$`)
const SET = new RegExp(`^(${KEY})\\s+(in|notin)\\s*\\(([^()]*)\\)$`)
const COMPARE = new RegExp(`^(${KEY})\\s*(==|=|!=|>|<)\\s*(${VALUE})$`)

/** Splits on the commas between requirements, not those inside a set's parentheses. */
function requirements(selector: string): string[] {
    const out: string[] = []
    let depth = 0
    let start = 0
    for (let i = 0; i < selector.length; i++) {
        if (selector[i] === "(") depth++
        else if (selector[i] === ")") depth--
        else if (selector[i] === "," && depth === 0) {
            out.push(selector.slice(start, i))
            start = i + 1
        }
    }
    out.push(selector.slice(start))
    return out.map(s => s.trim())
}

function requirement(term: string): Requirement {
    let m = EXISTS.exec(term)
    if (m) {
        const [, not, key] = m
        return labels => (labels?.[key] !== undefined) !== (not === "!")
    }
    m = SET.exec(term)
    if (m) {
        const [, key, op, list] = m
        const values = list.split(",").map(v => v.trim())
        if (values.some(v => !new RegExp(`^${VALUE}$`).test(v))) throw new Error(`unable to parse requirement: ${term}`)
        return labels => (labels?.[key] !== undefined && values.includes(labels[key])) !== (op === "notin")
    }
    m = COMPARE.exec(term)
    if (m) {
        const [, key, op, value] = m
        if (op === ">" || op === "<") {
            if (!/^-?\d+$/.test(value)) throw new Error(`unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer: ${term}`)
            return labels => {
                const have = labels?.[key]
                if (have === undefined || !/^-?\d+$/.test(have)) return false
                return op === ">" ? Number(have) > Number(value) : Number(have) < Number(value)
            }
        }
        return labels => (labels?.[key] === value) !== (op === "!=")
    }
    throw new Error(`unable to parse requirement: ${term}`)
}

/** A matcher of an object's labels; throws on a selector kube-apiserver would refuse. */
export function labelMatcher(selector: string): Requirement {
    if (!selector.trim()) return () => true
    const all = requirements(selector).map(requirement)
    return labels => all.every(r => r(labels))
}
