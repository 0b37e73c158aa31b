import { readdirSync, readFileSync } from "node:fs"
import { join, resolve } from "node:path"
import {
    loadServiceSpecifications,
    parseServiceSpecificationMarkdownToJSON,
    serviceSpecificationFromClassIdentifier,
    serviceSpecifications,
} from "jacdac-ts"

// jacdac-ts only knows its built-in services; a JDServiceServer needs the
// specification of the service it serves. Ours are read from the same
// markdown DeviceScript compiles into the firmware's client classes, so the
// two cannot drift apart. jacdac-ts keeps one custom set, replaced on each
// load: every spec in services/ is loaded together, once.

export const SRV_PICOKUBELET_PLATFORM = 0x13c89025
export const SRV_PICOKUBELET_UPDATER = 0x1d4e8b17
export const SERVICES_DIR = resolve(__dirname, "../services")

function loadAll() {
    const includes: jdspec.SMap<jdspec.ServiceSpec> = {}
    for (const s of serviceSpecifications()) includes[s.shortId] = s
    const specs = readdirSync(SERVICES_DIR)
        .filter(f => f.endsWith(".md"))
        .map(f => {
            const file = join(SERVICES_DIR, f)
            const spec = parseServiceSpecificationMarkdownToJSON(readFileSync(file, "utf8"), includes, file)
            if (spec.errors?.length) throw new Error(`${file}: ${spec.errors.map(e => `${e.line}: ${e.message}`).join("; ")}`)
            return spec
        })
    const { errors } = loadServiceSpecifications(specs)
    if (errors?.length) throw new Error(`loading services/: ${errors.map(e => e.message).join("; ")}`)
}

/** The spec of one of our services, by class identifier. */
export function loadServiceSpec(classIdentifier: number): jdspec.ServiceSpec {
    if (!serviceSpecificationFromClassIdentifier(classIdentifier)) loadAll()
    const spec = serviceSpecificationFromClassIdentifier(classIdentifier)
    if (!spec) throw new Error(`no spec in ${SERVICES_DIR} has class 0x${classIdentifier.toString(16)}`)
    return spec
}
