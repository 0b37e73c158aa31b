import { readFileSync } from "node:fs"
import { resolve } from "node:path"
import {
    loadServiceSpecifications,
    parseServiceSpecificationMarkdownToJSON,
    serviceSpecificationFromClassIdentifier,
    serviceSpecifications,
} from "jacdac-ts"

// jacdac-ts only knows its built-in services; a JDServiceServer needs the
// specification of the service it serves. It is read from the same markdown
// DeviceScript compiles into the firmware's client class, so the two cannot
// drift apart.

export const SRV_PICOKUBELET_PLATFORM = 0x13c89025
export const SPEC_FILE = resolve(__dirname, "../../services/picokubeletplatform.md")

export function loadPlatformSpec(): jdspec.ServiceSpec {
    const known = serviceSpecificationFromClassIdentifier(SRV_PICOKUBELET_PLATFORM)
    if (known) return known
    const includes: jdspec.SMap<jdspec.ServiceSpec> = {}
    for (const s of serviceSpecifications()) includes[s.shortId] = s
    const spec = parseServiceSpecificationMarkdownToJSON(readFileSync(SPEC_FILE, "utf8"), includes, SPEC_FILE)
    if (spec.errors?.length)
        throw new Error(`${SPEC_FILE}: ${spec.errors.map(e => `${e.line}: ${e.message}`).join("; ")}`)
    if (spec.classIdentifier !== SRV_PICOKUBELET_PLATFORM)
        throw new Error(`${SPEC_FILE}: class 0x${spec.classIdentifier.toString(16)}, expected 0x13c89025`)
    // replaces any custom set loaded before: nothing else in our Node
    // processes loads one
    const { errors } = loadServiceSpecifications([spec])
    if (errors?.length) throw new Error(`loading ${spec.shortId}: ${errors.map(e => e.message).join("; ")}`)
    return serviceSpecificationFromClassIdentifier(SRV_PICOKUBELET_PLATFORM)
}
