// Replays every recorded exchange with a real kube-apiserver 1.26, in order,
// and holds the emulator's answer to the recording.
import assert from "node:assert/strict"
import { describe, test } from "node:test"
import { useEmulator } from "./harness"
import { header, loadFixtures, type RawResponse } from "./wire"

const fixtures = loadFixtures()
const keys = (o: unknown) => Object.keys(o ?? {}).sort()
const parse = (r: RawResponse): any => {
    try {
        return JSON.parse(r.body.toString("utf8"))
    } catch {
        return undefined
    }
}
// uids, resourceVersions and times differ by nature
const normalize = (s: string | undefined) => s?.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, "UID").replace(/\d+/g, "0")
// names only: values (uids, dates) differ by nature
const headerNames = (r: RawResponse) => r.headers.map(([k]) => k)

describe("fixture replay against kube-apiserver 1.26 recordings", () => {
    // the fixtures were recorded with this placeholder bootstrap token
    const ctx = useEmulator({ bootstrapToken: "abcdef.0123456789abcdef" })
    // uids the real server assigned -> the emulator's, for requests that quote them
    const uids = new Map<string, string>()

    for (const f of fixtures) {
        test(f.name, async () => {
            const { server, conn } = ctx
            let req = f.request.toString("latin1")
            // admins authenticated with a client certificate; here they use the admin token
            if (!/\r\nAuthorization:/i.test(req)) req = req.replace("\r\n\r\n", `\r\nAuthorization: Bearer ${server.tokens.admin}\r\n\r\n`)
            for (const [recorded, ours] of uids) req = req.split(recorded).join(ours)
            const got = await conn.exchange(req)
            const want = f.response
            const [w, g] = [parse(want), parse(got)]
            if (w?.metadata?.uid && g?.metadata?.uid) uids.set(w.metadata.uid, g.metadata.uid)

            assert.equal(got.status, want.status, got.body.toString())
            assert.equal(got.framing, want.framing, "framing")
            assert.equal(got.framing === "chunked", got.body.length > 2048, "Go's 2048-byte rule")
            assert.deepEqual(headerNames(got), headerNames(want), "header names and order")
            assert.match(header(got, "date") ?? "", /^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT$/)
            assert.equal(g === undefined, w === undefined, "both JSON or neither")
            if (!w) return
            assert.deepEqual(keys(g), keys(w), "top-level keys")
            for (const k of ["kind", "apiVersion", "reason", "code", "status"] as const)
                if (typeof w[k] !== "object") assert.equal(g[k], w[k], k)
            if (w.kind === "Status") {
                assert.equal(normalize(g.message), normalize(w.message), "message")
                assert.deepEqual(keys(g.details), keys(w.details), "details keys")
            } else {
                assert.deepEqual(keys(g.metadata), keys(w.metadata), "metadata keys")
                assert.deepEqual(keys(g.spec), keys(w.spec), "spec keys")
                assert.deepEqual(keys(g.status), keys(w.status), "status keys")
                assert.equal(got.body.length, want.body.length, "body size (same uid/timestamp widths)")
            }
        })
    }
})
