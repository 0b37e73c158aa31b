// Fuzz target: every setting's rule, through parseConfig as the boot runs
// it. Values of any type, length and script (DeviceScript's .env parser
// hands over JSON-decoded values). Properties: no exception; either a config
// or problems, each naming its setting; the token never in a problem or the
// description; an accepted config obeys every rule.
import { describeConfig, MAX_TOKEN_PARTS, parseConfig, settingRows, tokenPartKey } from "../../../src/settings/settings"
import { isDnsSubdomain, isIPv4 } from "../../../src/settings/syntax"
import { FuzzTarget, Rng, check } from "./rng"

const PIECES = [
    "a", "z", "0", "9", "-", ".", "_", "/", ":", " ", "\t", "\n", "\0", "A", "é", "\u2603", "\ud83d\ude00", "..", "://",
    "k3s.lan", "10.0.0.1", "256", "00", "none", "true", "false", "6443", "1e3", "0x10", "-1", "abcdef", "0123456789abcdef",
]
const VALUES = [undefined, null, "", true, false, 0, -0, 1, -1, 0.5, 65536, 1e21, NaN, Infinity, -Infinity, 6443, 10, 40]

function randomString(rng: Rng, max: number): string {
    let s = ""
    const n = rng.int(max)
    while (s.length < n) s += rng.pick(PIECES)
    return s
}

function randomValue(rng: Rng): any {
    const k = rng.int(4)
    if (k === 0) return rng.pick(VALUES)
    if (k === 1) return randomString(rng, 12)
    if (k === 2) return randomString(rng, rng.oneIn(4) ? 250 : 40)
    return "" + (rng.int(200000) - 1000)
}

function jwtPart(rng: Rng): string {
    const alphabet = "abcXYZ019-_"
    let s = ""
    const n = 1 + rng.int(60)
    for (let i = 0; i < n; i++) s += alphabet[rng.int(alphabet.length)]
    return s
}

/** Sets the token settings; returns the secret text that must never be shown, "" for a random value. */
function token(rng: Rng, values: any): string {
    const k = rng.int(4)
    if (k === 0) values["K3S_TOKEN"] = "abcdef.0123456789abcdef"
    else if (k === 1) {
        values["K3S_TOKEN"] = randomValue(rng)
        return ""
    } else {
        // a JWT over K3S_TOKEN_0..n, sometimes with a gap, a bad part, or more parts than read
        const jwt = jwtPart(rng) + "." + jwtPart(rng) + "." + jwtPart(rng) + jwtPart(rng) + jwtPart(rng)
        const parts = rng.oneIn(8) ? MAX_TOKEN_PARTS + 2 : 1 + rng.int(6)
        const size = Math.ceil(jwt.length / parts)
        for (let i = 0; i < parts; i++) values[tokenPartKey(i)] = jwt.slice(i * size, (i + 1) * size) || "x"
        if (rng.oneIn(4)) values[tokenPartKey(rng.int(parts))] = rng.oneIn(2) ? undefined : randomValue(rng)
        if (rng.oneIn(6)) values["K3S_TOKEN"] = "abcdef.0123456789abcdef"
        return jwt
    }
    return values["K3S_TOKEN"]
}

export const settingsTarget: FuzzTarget = {
    name: "settings",
    run: (rng: Rng) => {
        const values: any = {}
        const rows = settingRows()
        const keys = rows.map(r => r.key)
        for (let i = 0; i < keys.length; i++) if (!rng.oneIn(3)) values[keys[i]] = randomValue(rng)
        if (rng.oneIn(2)) values["K3S_HOST"] = "k3s.lan"
        if (rng.oneIn(2)) values["NODE_NAME"] = "esp-node-01"
        const secret = token(rng, values)
        const { config, problems } = parseConfig(values)
        check((config === undefined) === problems.length > 0, `config ${!!config} with ${problems.length} problems`)
        for (let i = 0; i < problems.length; i++) {
            const p = problems[i]
            const key = p.slice(0, p.indexOf(":"))
            check(keys.indexOf(key) >= 0 || key.indexOf("K3S_TOKEN_") === 0, `problem without a setting's name: ${p}`)
            // a problem echoes its own setting's value, which may happen to hold the token's text
            const own = "" + values[key]
            check(!secret || p.indexOf(secret) < 0 || own.indexOf(secret) >= 0, `the token shows in: ${p}`)
        }
        if (!config) return
        const text = describeConfig(config)
        check(config.token.length < 8 || text.indexOf(config.token) < 0, "the token shows in the description")
        check(config.port >= 1 && config.port <= 65535 && Math.floor(config.port) === config.port, `port ${config.port}`)
        check(config.renewSeconds >= 0.1 && config.leaseSeconds > config.renewSeconds, `renew ${config.renewSeconds} lease ${config.leaseSeconds}`)
        check(isDnsSubdomain(config.nodeName), `node name ${config.nodeName}`)
        check(isIPv4(config.host) || isDnsSubdomain(config.host.toLowerCase()), `host ${config.host}`)
        check(config.nodeIP === undefined || isIPv4(config.nodeIP), `node IP ${config.nodeIP}`)
    },
}
