// The desired firmware as the Node annotation carries it: a digest-pinned
// reference, <registry>/<repository>@sha256:<64 hex>. A tag could move between
// the first node and the last, so a rollout refuses one.

export interface DigestReference {
    /** As given, which is what the annotation gets. */
    text: string
    registry: string
    repository: string
    /** sha256:<64 hex>, as the node reports it in picokubelet.dev/firmware-digest. */
    digest: string
}

const FORM = "<registry>/<repository>@sha256:<64 hex> (npm run firmware:push prints it)"
const COMPONENT = "[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*"
const REPOSITORY = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`)
const REGISTRY = /^(?:localhost|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+|[A-Za-z0-9.-]+:\d{1,5}|\[[0-9A-Fa-f:.]+\](?::\d{1,5})?)$/
const DIGEST = /^sha256:[0-9a-f]{64}$/

export function parseDigestReference(text: string): DigestReference {
    const bad = (why: string) => new Error(`bad reference ${JSON.stringify(text)}: ${why}; expected ${FORM}`)
    const at = text.indexOf("@")
    const name = at < 0 ? text : text.slice(0, at)
    const slash = name.indexOf("/")
    const registry = slash < 0 ? "" : name.slice(0, slash)
    const repository = slash < 0 ? name : name.slice(slash + 1)
    if (at < 0) {
        if (/:[^/]*$/.test(repository)) throw bad("a tag can move during a rollout; give the digest-pinned reference")
        throw bad("no digest")
    }
    if (/:[^/]*$/.test(repository)) throw bad("give the digest alone, without a tag")
    if (!REGISTRY.test(registry)) throw bad("no registry host (a host with a dot or a port, or localhost)")
    if (!REPOSITORY.test(repository)) throw bad(`repository ${JSON.stringify(repository)} is not lower-case components separated by /`)
    const digest = text.slice(at + 1)
    if (!DIGEST.test(digest)) throw bad(`${JSON.stringify(digest)} is not sha256: and 64 lower-case hex digits`)
    return { text, registry, repository, digest }
}
