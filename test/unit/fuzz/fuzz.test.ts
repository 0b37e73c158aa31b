// The fuzz campaigns at the CI budget: fixed seeds, a few hundred cases per
// parser (the VM runs with GC stress in test mode: ~20 ms a case). `npm run
// fuzz` runs the same targets at any budget and seed.
import { describe, test } from "../harness"
import { campaign } from "./rng"
import { FUZZ_TARGETS } from "./targets"

const [httpTarget, jsonTarget, datesTarget, settingsTarget, protoTarget] = FUZZ_TARGETS

describe("fuzz: hostile input, CI budget", () => {
    test("http: response parser, every body mode, mutated and split", async () => {
        await campaign(httpTarget, 1, 300)
    })
    test("json: reply prefix scanner, truncated at every byte", async () => {
        await campaign(jsonTarget, 1, 200)
    })
    test("dates: IMF-fixdate round trips and mutations, RFC 3339 formatting", async () => {
        await campaign(datesTarget, 1, 500)
    })
    test("settings: every rule with values of any type, length and script", async () => {
        await campaign(settingsTarget, 1, 150)
    })
    test("proto: reply scanner, random trees in random pieces, cut short and mutated", async () => {
        await campaign(protoTarget, 1, 150)
    })
})
