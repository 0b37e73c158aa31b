// The kubelet with an exception injected into every fourth API call: a
// TypeError, not a network error, as a bug in a reconciler would throw.
import { runKubelet } from "../../../src/kubelet/run"

let calls = 0
await runKubelet({
    wrapFetch: fetch => async (path, init) => {
        calls++
        if (calls % 4 === 0) throw new TypeError(`injected fault in API call ${calls}`)
        return await fetch(path, init)
    },
})
