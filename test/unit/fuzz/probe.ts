import * as ds from "@devicescript/core"
import { describe, test } from "../harness"
describe("probe", () => {
    test("sleep0 cost", async () => {
        const t = ds.millis()
        for (let i = 0; i < 1000; i++) await ds.sleep(0)
        console.log(`1000 sleep(0): ${ds.millis() - t} ms`)
        const t2 = ds.millis()
        let x = 0
        for (let i = 0; i < 1000; i++) { const b = Buffer.alloc(100); x += b.length }
        console.log(`1000 alloc: ${ds.millis() - t2} ms`)
    })
})
