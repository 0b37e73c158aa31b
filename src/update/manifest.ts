// The OCI manifest of a firmware artifact, checked before a single layer
// byte is pulled: it must be the manifest the reference pins, of our
// artifact type, one layer of our media type, built for the runtime this
// device runs, and small enough for its flash.
import { digest } from "@devicescript/crypto"
import { digestString } from "./reference"

export const MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
export const ARTIFACT_TYPE = "application/vnd.picokubelet.firmware.v1"
export const LAYER_TYPE = "application/vnd.picokubelet.firmware.layer.v1.devs"
export const RUNTIME_VERSION_ANNOTATION = "picokubelet.dev/runtime-version"
export const FIRMWARE_VERSION_ANNOTATION = "picokubelet.dev/firmware-version"
/** A firmware manifest is under 1 KB; anything much larger is not one. */
export const MAX_MANIFEST_BYTES = 4096

export interface ManifestExpectations {
    /** "sha256:<hex>" from the reference. */
    digest: string
    /** The updater's runtime_version, e.g. "v2.16.4". */
    runtimeVersion: string
    /** The updater's capacity in bytes. */
    capacity: number
}

export interface FirmwareLayer {
    /** "sha256:<hex>" of the bytecode. */
    digest: string
    size: number
    /** The firmware version the manifest announces ("" when it has none). */
    version: string
}

/** "v2.16" of "v2.16.4". */
function majorMinor(version: string): string {
    const dot = version.indexOf(".")
    const second = dot < 0 ? -1 : version.indexOf(".", dot + 1)
    return second < 0 ? version : version.slice(0, second)
}

function field(o: any, key: string): any {
    return o && typeof o === "object" ? o[key] : undefined
}

/** The layer to pull, or why this manifest is refused. */
export function checkManifest(body: Buffer, want: ManifestExpectations): FirmwareLayer | string {
    const got = digestString(digest("sha256", body))
    if (got !== want.digest) return `manifest digest mismatch: the registry sent ${got}, the reference pins ${want.digest}`
    let m: any
    try {
        m = JSON.parse(body.toString("utf-8"))
    } catch (e: any) {
        return "the manifest is not JSON"
    }
    // image-spec 1.1; registries that drop artifactType keep the config's media type
    const type = field(m, "artifactType") || field(field(m, "config"), "mediaType")
    if (type !== ARTIFACT_TYPE) return `artifact type ${type} is not ${ARTIFACT_TYPE}`
    const annotations = field(m, "annotations")
    const runtime = field(annotations, RUNTIME_VERSION_ANNOTATION)
    // the runtime starts bytecode of its own major and minor version, any patch
    if (typeof runtime !== "string" || majorMinor(runtime) !== majorMinor(want.runtimeVersion))
        return `built for runtime ${runtime}, this device runs ${want.runtimeVersion}`
    const layers = field(m, "layers")
    if (!Array.isArray(layers) || layers.length !== 1) return "the manifest does not have exactly one layer"
    const layer = layers[0]
    if (field(layer, "mediaType") !== LAYER_TYPE) return `layer media type ${field(layer, "mediaType")} is not ${LAYER_TYPE}`
    const layerDigest = field(layer, "digest")
    if (typeof layerDigest !== "string" || layerDigest.length !== 71 || layerDigest.indexOf("sha256:") !== 0)
        return "the layer has no sha256 digest"
    const size = field(layer, "size")
    if (typeof size !== "number" || !(size > 0) || Math.floor(size) !== size) return "the layer has no size"
    if (size > want.capacity) return `the image is ${size} bytes, more than this device's ${want.capacity}-byte flash budget`
    const version = field(annotations, FIRMWARE_VERSION_ANNOTATION)
    return { digest: layerDigest, size, version: typeof version === "string" ? version : "" }
}
