import { describe, expect, test } from "./harness"
import { describeConfig, parseConfig } from "../../src/settings/settings"
import { isDnsSubdomain, isIPv4, tokenKind } from "../../src/settings/syntax"
import { expectContains, expectEqual, expectNotContains } from "./matchers"

const BOOTSTRAP = "abcdef.0123456789abcdef"
// Three base64url parts, 914 characters: the size of a real ServiceAccount token.
function fakeJwt(): string {
    let sig = ""
    while (sig.length < 860) sig += "Sg0_x-9"
    return "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJwayJ9." + sig.slice(0, 860)
}

function good(): any {
    return { K3S_HOST: "k3s.lan", NODE_NAME: "esp-node-01", K3S_TOKEN: BOOTSTRAP }
}

function problemsOf(v: any): string[] {
    return parseConfig(v).problems
}

function only(v: any): string {
    const p = problemsOf(v)
    expectEqual(p.length, 1, "number of problems in " + JSON.stringify(p))
    return p[0]
}

describe("config: defaults and types", () => {
    test("a minimal configuration gets the documented defaults", () => {
        const { config, problems } = parseConfig(good())
        expectEqual(problems, [])
        expectEqual(config, {
            host: "k3s.lan",
            port: 6443,
            tls: true,
            nodeName: "esp-node-01",
            token: BOOTSTRAP,
            renewSeconds: 10,
            leaseSeconds: 40,
            statusSeconds: 300,
            memLowBytes: 20480,
            nodeIP: undefined,
            maxPods: 8,
            podSeconds: 10,
            taintKey: "picokubelet.dev/no-containers",
        })
    })
    test("the pod period follows the renew period unless set", () => {
        const v = good()
        v.RENEW_SECS = 3
        expectEqual(parseConfig(v).config.podSeconds, 3)
        v.POD_SECS = 7
        expectEqual(parseConfig(v).config.podSeconds, 7)
        v.POD_SECS = 0
        expectEqual(parseConfig(v).problems, ["POD_SECS: 0 is out of range (0.1..3600)"])
    })
    test("numbers may arrive as numbers or numeric strings", () => {
        const v = good()
        v.K3S_PORT = "8443"
        v.RENEW_SECS = 2
        v.LEASE_SECS = "8"
        v.STATUS_SECS = 30
        v.MEM_LOW_BYTES = "4096"
        v.K3S_TLS = false
        const c = parseConfig(v).config
        expect(c.port).toBe(8443)
        expect(c.renewSeconds).toBe(2)
        expect(c.leaseSeconds).toBe(8)
        expect(c.statusSeconds).toBe(30)
        expect(c.memLowBytes).toBe(4096)
        expect(c.tls).toBe(false)
    })
})

describe("config: each rule names the setting", () => {
    test("K3S_PORT not a number", () => {
        const v = good()
        v.K3S_PORT = "abc"
        expect(only(v)).toBe('K3S_PORT: "abc" is not a port number')
    })
    test("K3S_PORT out of range or fractional", () => {
        ;[0, 65536, -1, 6443.5, true].forEach(p => {
            const v = good()
            v.K3S_PORT = p
            expectEqual(only(v), `K3S_PORT: ${p} is not a port number`)
        })
    })
    test("K3S_HOST missing, URL, or not a host", () => {
        const v = good()
        v.K3S_HOST = undefined
        expectContains(only(v), "K3S_HOST: missing")
        v.K3S_HOST = "https://k3s.lan:6443"
        expectContains(only(v), "is a URL")
        v.K3S_HOST = "k3s lan"
        expect(only(v)).toBe('K3S_HOST: "k3s lan" is not a DNS name or IPv4 address')
        v.K3S_HOST = "192.168.0.103"
        expectEqual(problemsOf(v), [])
        v.K3S_HOST = "K3S.Lan"
        expectEqual(problemsOf(v), [], "host names are case-insensitive")
    })
    test("K3S_TLS must be a boolean", () => {
        const v = good()
        v.K3S_TLS = "yes"
        expect(only(v)).toBe('K3S_TLS: "yes" is not true or false')
        v.K3S_TLS = "false"
        expect(parseConfig(v).config.tls).toBe(false)
    })
    test("NODE_NAME missing or invalid", () => {
        const v = good()
        v.NODE_NAME = ""
        expectContains(only(v), "NODE_NAME: missing")
        v.NODE_NAME = "ESP_Node"
        expectContains(only(v), 'NODE_NAME: "ESP_Node" is not a valid node name')
        v.NODE_NAME = 42
        expectEqual(problemsOf(v), [], "a numeric name is a valid name")
    })
    test("intervals: seconds in range, fractions only for the loops' periods, lease longer than renewal", () => {
        const v = good()
        v.RENEW_SECS = "ten"
        expect(only(v)).toBe('RENEW_SECS: "ten" is not a number of seconds')
        v.RENEW_SECS = 0.05
        expect(only(v)).toBe("RENEW_SECS: 0.05 is out of range (0.1..3600)")
        v.RENEW_SECS = "0.25"
        v.POD_SECS = 0.5
        const c = parseConfig(v).config
        expect(c.renewSeconds).toBe(0.25)
        expect(c.podSeconds).toBe(0.5)
        v.POD_SECS = undefined
        v.LEASE_SECS = "1.5"
        expect(only(v)).toBe('LEASE_SECS: "1.5" is not a whole number of seconds')
        v.LEASE_SECS = 40
        v.RENEW_SECS = 10
        v.LEASE_SECS = 10
        expectContains(only(v), "LEASE_SECS: 10 must be longer than RENEW_SECS (10)")
        v.LEASE_SECS = 40
        v.STATUS_SECS = -5
        expect(only(v)).toBe("STATUS_SECS: -5 is out of range (0.1..86400)")
        v.STATUS_SECS = 300
        v.MEM_LOW_BYTES = "lots"
        expect(only(v)).toBe('MEM_LOW_BYTES: "lots" is not a number of bytes')
    })
    test("NODE_IP, MAX_PODS and TAINT_KEY", () => {
        const v = good()
        v.NODE_IP = "192.168.0.300"
        expect(only(v)).toBe('NODE_IP: "192.168.0.300" is not an IPv4 address')
        v.NODE_IP = "192.168.0.111"
        v.MAX_PODS = 111
        expect(only(v)).toBe("MAX_PODS: 111 is out of range (0..110)")
        v.MAX_PODS = 3
        v.TAINT_KEY = "bad key"
        expectContains(only(v), 'TAINT_KEY: "bad key" is not a taint key')
        v.TAINT_KEY = "example.com/keep-off"
        let c = parseConfig(v).config
        expectEqual([c.nodeIP, c.maxPods, c.taintKey], ["192.168.0.111", 3, "example.com/keep-off"])
        v.TAINT_KEY = "none"
        c = parseConfig(v).config
        expectEqual(c.taintKey, "")
        expectContains(describeConfig(c), "ip=192.168.0.111 pods=3 podPoll=10s taint=<none>")
    })
    test("all problems are reported at once", () => {
        const p = problemsOf({ K3S_PORT: "abc", RENEW_SECS: "x" })
        expectEqual(p.length, 5, JSON.stringify(p))
        expectContains(p.join("\n"), "K3S_HOST: missing")
        expectContains(p.join("\n"), "NODE_NAME: missing")
        expectContains(p.join("\n"), "K3S_TOKEN: missing")
        expectContains(p.join("\n"), "K3S_PORT")
        expectContains(p.join("\n"), "RENEW_SECS")
    })
})

describe("config: the token", () => {
    test("a 1.3 KB JWT in parts (a real one is 0.9 KB) is checked and described in one fiber slice, as at boot", () => {
        // a kube-apiserver 1.31 ServiceAccount token crashed the boot
        // (InfiniteLoop) when every character cost a few calls
        let jwt = fakeJwt()
        while (jwt.length < 1300) jwt += "Sg0_x-9"
        const v = good()
        v.K3S_TOKEN = undefined
        for (let i = 0; i * 200 < jwt.length; i++) v["K3S_TOKEN_" + i] = jwt.slice(i * 200, i * 200 + 200)
        const { config, problems } = parseConfig(v)
        expectEqual(problems, [])
        expectContains(describeConfig(config), "token=<redacted jwt, " + jwt.length + " chars>")
    })

    test("bootstrap token and JWT are recognised", () => {
        expectEqual(tokenKind(BOOTSTRAP), "bootstrap")
        expectEqual(tokenKind(fakeJwt()), "jwt")
        expectEqual(tokenKind("abcdef.0123456789ABCDEF"), undefined)
        expectEqual(tokenKind("abcdef0123456789abcdef"), undefined)
        expectEqual(tokenKind("a.b"), undefined)
        expectEqual(tokenKind("a..c"), undefined)
    })
    test("a JWT split over K3S_TOKEN_n is joined in order", () => {
        const jwt = fakeJwt()
        const v = good()
        v.K3S_TOKEN = undefined
        for (let i = 0; i * 200 < jwt.length; i++)
            v["K3S_TOKEN_" + i] = jwt.slice(i * 200, i * 200 + 200)
        const { config, problems } = parseConfig(v)
        expectEqual(problems, [])
        expect(config.token).toBe(jwt)
    })
    test("a gap in the parts is reported", () => {
        const v = good()
        v.K3S_TOKEN = undefined
        v.K3S_TOKEN_0 = "eyJhbGciOiJSUzI1NiJ9."
        v.K3S_TOKEN_2 = "eyJzdWIiOiJwayJ9.sig"
        const p = problemsOf(v)
        expectContains(p.join("\n"), "K3S_TOKEN_2: set, but K3S_TOKEN_1 is missing")
    })
    test("both forms at once is an error", () => {
        const v = good()
        v.K3S_TOKEN_0 = BOOTSTRAP
        expectContains(only(v), "set together with K3S_TOKEN_0")
    })
    test("a JWT too long for one setting must be split", () => {
        const v = good()
        v.K3S_TOKEN = fakeJwt()
        expectContains(only(v), "split it over K3S_TOKEN_0..K3S_TOKEN_n")
    })
    test("a malformed token is reported without its value", () => {
        const v = good()
        v.K3S_TOKEN = "hunter2-secret-value"
        const p = only(v)
        expectContains(p, "K3S_TOKEN: not a bootstrap token")
        expectNotContains(p, "hunter2")
        v.K3S_TOKEN = undefined
        v.K3S_TOKEN_0 = "hunter2-part-one"
        v.K3S_TOKEN_1 = "secret-part-two"
        const q = only(v)
        expectContains(q, "K3S_TOKEN_0..1: not a bootstrap token")
        expectNotContains(q, "hunter2")
        expectNotContains(q, "secret-part")
    })
    test("the config line redacts the token", () => {
        const line = describeConfig(parseConfig(good()).config)
        expectNotContains(line, BOOTSTRAP)
        expectNotContains(line, "0123456789abcdef")
        expectContains(line, "token=<redacted bootstrap, 23 chars>")
        expectContains(line, "host=k3s.lan port=6443 tls=true node=esp-node-01")
    })
})

describe("config: host and name syntax", () => {
    test("IPv4", () => {
        expect(isIPv4("127.0.0.1")).toBe(true)
        expect(isIPv4("255.255.255.255")).toBe(true)
        expect(isIPv4("256.1.1.1")).toBe(false)
        expect(isIPv4("1.2.3")).toBe(false)
        expect(isIPv4("01.2.3.4")).toBe(false)
        expect(isIPv4("1.2.3.a")).toBe(false)
    })
    test("DNS subdomain", () => {
        expect(isDnsSubdomain("esp-node-01-guenther")).toBe(true)
        expect(isDnsSubdomain("a.b-c.d")).toBe(true)
        expect(isDnsSubdomain("-a")).toBe(false)
        expect(isDnsSubdomain("a-")).toBe(false)
        expect(isDnsSubdomain("a..b")).toBe(false)
        expect(isDnsSubdomain("")).toBe(false)
        let long = ""
        while (long.length < 64) long += "a"
        expect(isDnsSubdomain(long)).toBe(false)
    })
})
