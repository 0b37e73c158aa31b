import { sleep } from "@devicescript/core"
import { readSetting } from "@devicescript/settings"
import { Config, MAX_TOKEN_PARTS, parseConfig, settingRows, SettingValues, tokenPartKey } from "./settings"

/** Reads every setting the kubelet uses from DeviceScript settings. */
export async function readSettingValues(): Promise<SettingValues> {
    const values: SettingValues = {}
    for (const s of settingRows()) values[s.key] = await readSetting(s.key)
    // One past the last part, so a gap in the numbering is reported.
    for (let i = 0; i <= MAX_TOKEN_PARTS; i++) {
        const key = tokenPartKey(i)
        values[key] = await readSetting(key)
        if (values[key] === undefined) {
            values[tokenPartKey(i + 1)] = await readSetting(tokenPartKey(i + 1))
            break
        }
    }
    return values
}

const RECHECK_MS = 10000

/**
 * Returns a valid configuration, waiting for one: a bad setting is reported
 * (all problems, by name) and re-read every few seconds instead of letting the
 * program crash-loop; a deploy of corrected settings restarts it anyway.
 */
export async function awaitValidConfig(onInvalid?: (problems: string[]) => void): Promise<Config> {
    let reported = ""
    while (true) {
        const { config, problems } = parseConfig(await readSettingValues())
        if (config) return config
        const text = problems.join("\n")
        if (text !== reported) {
            console.error(`settings: ${problems.length} problem(s), waiting for a fix`)
            for (const p of problems) console.error(`settings: ${p}`)
            reported = text
        }
        if (onInvalid) onInvalid(problems)
        await sleep(RECHECK_MS)
    }
}
