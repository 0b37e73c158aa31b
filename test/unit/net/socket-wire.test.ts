import * as ds from "@devicescript/core"
import { describe, test } from "../harness"
import { expectContains, expectEqual } from "../matchers"
import { sendRetryingFullQueue } from "../../../src/net/socket-wire"

describe("socket writes", () => {
    test("DeviceScript's full write queue is retried, other send errors are not", async () => {
        let calls = 0
        const n = await sendRetryingFullQueue(async () => {
            calls++
            if (calls < 3) throw new Error("socket tls://h:1: send error -1")
        }, ds.millis() + 1000)
        expectEqual(n, 2)
        expectEqual(calls, 3)
        let msg = ""
        try {
            await sendRetryingFullQueue(async () => {
                throw new Error("socket tls://h:1: old socket used")
            }, ds.millis() + 1000)
        } catch (e: any) {
            msg = e.message
        }
        expectContains(msg, "old socket used")
    })
})
