// Prints a ServiceAccount token as K3S_TOKEN_0..n lines for .env.local: one
// DeviceScript setting holds ~200 bytes, a JWT is ~900. Reads the token from
// stdin so it never lands in shell history.
import { readFileSync } from "node:fs"
import { MAX_SETTING_CHARS, tokenPartKey } from "../src/settings/settings"

const PART = MAX_SETTING_CHARS

const token = readFileSync(0, "utf8").trim()
if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) {
    console.error("split-token: stdin is not a JWT (three base64url parts separated by dots)")
    process.exit(1)
}
for (let i = 0; i * PART < token.length; i++) console.log(`${tokenPartKey(i)}=${token.slice(i * PART, (i + 1) * PART)}`)
