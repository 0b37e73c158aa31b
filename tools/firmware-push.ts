// `npm run firmware:push -- <registry>/<repository>:<tag> [--plain-http]`:
// builds the firmware (devs build src/main.ts) and pushes its bytecode as an
// OCI artifact (tools/registry/push.ts). Prints the digest-pinned reference,
// <registry>/<repository>@sha256:<digest>, as the last line; exit 1 on any error.
import { buildFirmware } from "./registry/firmware"
import { parseReference, pushFirmware, PushResult } from "./registry/push"

const USAGE = "usage: npm run firmware:push -- <registry>/<repository>:<tag> [--plain-http]"

/** Builds and pushes; what the command does, as a function. */
export async function firmwarePush(ref: string, opts: { plainHttp?: boolean; log?: (line: string) => void } = {}): Promise<PushResult> {
    const log = opts.log ?? (() => {})
    parseReference(ref) // a bad reference fails before the build
    const fw = await buildFirmware(log)
    log(`firmware ${fw.firmwareVersion} (package ${fw.packageVersion}, runtime ${fw.runtimeVersion}): ${fw.bytecode.length} bytes, sha256:${fw.sha256}`)
    return pushFirmware(ref, fw, { plainHttp: opts.plainHttp, log })
}

async function main(argv: string[]) {
    const args = argv.filter(a => a !== "--plain-http")
    if (args.length !== 1 || args[0].startsWith("-")) {
        console.error(USAGE)
        process.exit(1)
    }
    try {
        const r = await firmwarePush(args[0], { plainHttp: argv.includes("--plain-http"), log: line => console.error(line) })
        console.log(r.pinned)
    } catch (e: any) {
        console.error(`firmware:push: ${e.message}`)
        process.exit(1)
    }
}

if (require.main === module) main(process.argv.slice(2))
