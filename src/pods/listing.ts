import { JsonScanner } from "../k8s/json-stream"

// One page of the pods bound to this node, as the metadata-only list names
// them. Each item is handed over as soon as the next begins (or the page
// ends): the page is never held whole.

export interface ListedPod {
    namespace: string
    name: string
    uid: string
    resourceVersion: string
    /** metadata.deletionTimestamp is set: someone asked for it to go. */
    deleting: boolean
}

const ITEM = "items[]"
const META = "items[].metadata."
const CONTINUE = "metadata.continue"

export class PodListing {
    readonly scanner: JsonScanner
    /** Items read so far. */
    count = 0
    /** metadata.continue: where the next page starts, "" after the last. */
    continueToken = ""
    private item: ListedPod = undefined

    constructor(private readonly onPod: (p: ListedPod) => void) {
        const wanted = [ITEM, CONTINUE]
        for (const f of ["namespace", "name", "uid", "resourceVersion", "deletionTimestamp"]) wanted.push(META + f)
        this.scanner = new JsonScanner(wanted, this.take)
    }

    /** The list ended: hands over the last item; returns why the list is unusable, or undefined. */
    finish(): string {
        this.scanner.end()
        if (this.scanner.error) return this.scanner.error
        this.flush()
        return undefined
    }

    private take(path: string, value: string) {
        if (path === CONTINUE) {
            this.continueToken = value
            return
        }
        if (path === ITEM) {
            this.flush()
            this.item = { namespace: "", name: "", uid: "", resourceVersion: "", deleting: false }
            return
        }
        const p: any = this.item
        if (!p) return
        const field = path.slice(META.length)
        if (field === "deletionTimestamp") this.item.deleting = true
        else p[field] = value
    }

    private flush() {
        const p = this.item
        this.item = undefined
        // an item without a name or uid cannot be written to: pass over it
        if (p && p.name && p.uid) {
            this.count++
            this.onPod(p)
        }
    }
}
