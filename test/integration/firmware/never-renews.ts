// A release that runs but never reaches the API server (a wrong endpoint in
// a new build, say): it never confirms, so the updater rolls it back.
import * as ds from "@devicescript/core"

console.log(`silent firmware ${ds._dcfgString("@version")} starting`)
setInterval(() => console.log("silent firmware: still not renewing"), 5000)
