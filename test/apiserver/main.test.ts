// Start-up: certificates and tokens are made once and reused; the CLI starts and stops cleanly.
import assert from "node:assert/strict"
import { spawn } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { after, describe, test } from "node:test"
import { X509Certificate } from "node:crypto"
import { startApiServer } from "../../tools/apiserver/index"

describe("data directory and CLI", () => {
    const dataDir = mkdtempSync(join(tmpdir(), "apiserver-main-"))
    after(() => rmSync(dataDir, { recursive: true, force: true }))

    test("first start makes a CA and a serving cert for localhost/127.0.0.1; the next start reuses them and the tokens", async () => {
        const first = await startApiServer({ port: 0, dataDir, quiet: true })
        await first.stop()
        const ca = readFileSync(first.caFile!, "utf8")
        const cert = new X509Certificate(readFileSync(join(dataDir, "apiserver.pem")))
        assert.ok(cert.checkHost("localhost"))
        assert.ok(cert.checkIP("127.0.0.1"))
        assert.ok(cert.checkIssued(new X509Certificate(ca)))
        assert.match(first.tokens.bootstrap, /^[a-z0-9]{6}\.[a-z0-9]{16}$/)
        const second = await startApiServer({ port: 0, dataDir, quiet: true })
        await second.stop()
        assert.equal(readFileSync(second.caFile!, "utf8"), ca)
        assert.deepEqual(second.tokens, first.tokens)
        assert.deepEqual(JSON.parse(readFileSync(second.tokensFile, "utf8")), first.tokens)
        assert.match(readFileSync(second.kubeconfigFile, "utf8"), new RegExp(`server: ${second.url}\\n`))
    })

    test("main.ts prints where things are and exits 0 on SIGTERM", async () => {
        const child = spawn(process.execPath, ["--import", "tsx", "tools/apiserver/main.ts", "--port", "0", "--http", "--data-dir", dataDir], {
            cwd: join(__dirname, "..", ".."),
            stdio: ["ignore", "pipe", "pipe"],
        })
        let out = ""
        child.stdout.on("data", d => (out += d))
        await new Promise<void>((resolve, reject) => {
            child.stdout.on("data", () => out.includes("tokens:") && resolve())
            child.on("exit", code => reject(new Error(`exited ${code}: ${out}`)))
        })
        assert.match(out, /listening on http:\/\/localhost:\d+/)
        assert.ok(out.includes(join(dataDir, "tokens.json")))
        const code = await new Promise(resolve => {
            child.on("exit", resolve)
            child.kill("SIGTERM")
        })
        assert.equal(code, 0)
    })
})
