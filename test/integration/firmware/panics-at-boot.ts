// A release that is broken at boot: it throws before it ever talks to the
// API server, so the runtime restarts it and it throws again.
import * as ds from "@devicescript/core"

console.log(`broken firmware ${ds._dcfgString("@version")} starting`)
await ds.sleep(500)
throw new Error("broken firmware: panics at boot")
