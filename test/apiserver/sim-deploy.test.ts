// What the simulator writes to a board's settings at a deploy
// (tools/simulator/deploy.ts): the repo's .env.defaults with the board's own
// settings over them, each value encoded as devs encodes it. Here because
// tools/test.ts runs this folder's node tests; every integration test deploys
// this way, so a wrong encoding also fails them at boot.
import assert from "node:assert/strict"
import { test } from "node:test"
import { deployedSettings, settingValue } from "../../tools/simulator/deploy"
import { readEnvFile, REPO } from "../../tools/simulator/project"

const text = (b: Uint8Array | undefined) => (b === undefined ? undefined : new TextDecoder().decode(b))

test("a value is the JSON of what its text parses to, else of the text; empty deletes", () => {
    assert.equal(text(settingValue("6443")), "6443")
    assert.equal(text(settingValue("0.25")), "0.25")
    assert.equal(text(settingValue("true")), "true")
    assert.equal(text(settingValue("localhost")), '"localhost"')
    assert.equal(text(settingValue("abcdef.0123456789abcdef")), '"abcdef.0123456789abcdef"')
    assert.equal(text(settingValue('"quoted"')), '"quoted"')
    assert.equal(settingValue(""), undefined)
})

test("the board's own settings override .env.defaults; the rest of the defaults go too", () => {
    const defaults = readEnvFile(`${REPO}/.env.defaults`)
    const s = deployedSettings(REPO, { K3S_PORT: 1234, NODE_NAME: "esp-x", RENEW_SECS: undefined, WIFI_SSID: "lab" })
    assert.equal(text(s.get("K3S_PORT")), "1234")
    assert.equal(text(s.get("NODE_NAME")), '"esp-x"')
    // undefined leaves the default in place
    assert.equal(text(s.get("RENEW_SECS")), String(defaults.RENEW_SECS))
    // an empty default (POD_SECS=) is a deletion, as devs makes it
    assert.ok(s.has("POD_SECS") && s.get("POD_SECS") === undefined)
    // Wi-Fi credentials are handed to a Wi-Fi service, never written as settings
    assert.ok(!s.has("WIFI_SSID"))
    assert.deepEqual([...s.keys()].filter(k => !(k in defaults)), [])
})

test("a value a user's .env file cannot hold is refused, naming the setting", () => {
    assert.throws(() => deployedSettings(REPO, { TAINT_KEY: "a#b" }), /TAINT_KEY/)
    assert.throws(() => deployedSettings(REPO, { NODE_IP: "1\n2" }), /NODE_IP/)
})
