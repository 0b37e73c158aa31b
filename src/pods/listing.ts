import { MAX_STRING_BYTES, ProtoScanner } from "../k8s/proto-stream"

// One page of the pods bound to this node, as the metadata-only list names
// them, in protobuf: a third smaller than its JSON, and the listing runs
// every pod period. Each item is handed over as soon as the next begins (or
// the page ends): the page is never held whole. An item's metadata begins
// with its name (field 1, written first as every encoder writes fields in
// number order), so a name opens a new item.

export interface ListedPod {
    namespace: string
    name: string
    uid: string
    resourceVersion: string
    /** metadata.deletionTimestamp is set: someone asked for it to go. */
    deleting: boolean
}

// PartialObjectMetadataList (in the envelope's field 2): metadata 1 (ListMeta), items 2, each an ObjectMeta in field 1
const PATHS = [
    [2, 1, 3], // metadata.continue
    [2, 2, 1, 1], // items[].metadata.name
    [2, 2, 1, 3], // namespace
    [2, 2, 1, 5], // uid
    [2, 2, 1, 6], // resourceVersion
    [2, 2, 1, 9], // deletionTimestamp
]
const CONTINUE = 0
const NAME = 1
const NAMESPACE = 2
const UID = 3
const RESOURCE_VERSION = 4
const DELETION = 5

export class PodListing {
    readonly scanner: ProtoScanner
    /** Items read so far. */
    count = 0
    /** metadata.continue: where the next page starts, "" after the last. */
    continueToken = ""
    private item: ListedPod = undefined
    private tokenTooLong = false

    constructor(private readonly onPod: (p: ListedPod) => void) {
        this.scanner = new ProtoScanner(PATHS, this.take)
    }

    /** The list ended: hands over the last item; returns why the list is unusable, or undefined. */
    finish(): string {
        const s = this.scanner
        if (s.error) return s.error
        if (!s.done) return "the reply ended before the list did"
        if (this.tokenTooLong) return `a continue token longer than ${MAX_STRING_BYTES} bytes`
        this.flush()
        return undefined
    }

    private take(i: number, value: string) {
        if (i === CONTINUE) {
            if (value === undefined) this.tokenTooLong = true
            else this.continueToken = value
            return
        }
        // no name or uid is that long: such an item is passed over
        if (value === undefined) value = ""
        if (i === NAME) {
            this.flush()
            this.item = { namespace: "", name: value, uid: "", resourceVersion: "", deleting: false }
            return
        }
        const p = this.item
        if (!p) return
        if (i === NAMESPACE) p.namespace = value
        else if (i === UID) p.uid = value
        else if (i === RESOURCE_VERSION) p.resourceVersion = value
        else if (i === DELETION) p.deleting = true
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
