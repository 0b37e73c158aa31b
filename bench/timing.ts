// Time to Ready and outage recovery, at the plan's renewal period (the real
// one, RENEW_SECS=10, in the full run) and the real STATUS_SECS=300. Each
// session boots the firmware (time to Ready), lets it renew once, then the
// emulator refuses connections for the planned outage (time from its return
// to the next successful renewal). Times are Node's clock on both sides: the
// emulator stamps its transitions with Date.now().
//
// Renewals after an outage wait for the renewal period's next tick, so the
// recovery time depends on where in the period the outage ends. Sessions
// start their outages at evenly spread offsets after a renewal (1, 3, 5, 7,
// 9 s of the 10 s period for five sessions): the median is then the typical
// case, not an accident of alignment.
import type { ApiServer } from "../tools/apiserver"
import { eventually } from "../test/harness/admin"
import { Firmware } from "./firmware"
import { Plan, REAL } from "./plan"

export interface TimingSample {
    /** The program's `start:` log line to Ready=True seen by the emulator. */
    readyFromStartMs: number
    /** devtools' first output (VM start, build and deploy included) to Ready=True. */
    readyFromLaunchMs: number
    /** The `start:` line to the transport's first connect: LED, settings, network address. */
    connectingFromStartMs: number
    /** How long after a renewal the outage began. */
    offsetMs: number
    /** The emulator listening again to the next successful renewal. */
    recoveryMs: number
    /** The outage's start to that renewal. */
    outageTotalMs: number
    /** The node went Unknown during the outage (outage longer than the grace period). */
    wentUnknown: boolean
    /** The emulator back to Ready=True again, when it had gone Unknown. */
    readyAgainMs?: number
}

export interface Timing {
    samples: TimingSample[]
    outageMs: number
    renewSecs: number
    median: {
        readyFromStartMs: number
        readyFromLaunchMs: number
        connectingFromStartMs: number
        recoveryMs: number
        outageTotalMs: number
        /** Over the sessions whose node went Unknown; undefined if none did. */
        readyAgainMs?: number
    }
}

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b)
    const n = s.length
    return n % 2 ? s[(n - 1) >> 1] : (s[n / 2 - 1] + s[n / 2]) / 2
}

const readyTrueAfter = (api: ApiServer, node: string, since: number) =>
    api.readyTransitions(node).find(t => t.to === "True" && t.time >= since)

async function session(api: ApiServer, node: string, plan: Plan, offsetMs: number): Promise<TimingSample> {
    const { outageMs, renewSecs } = plan.timing
    const fw = await Firmware.start(api, { node, settings: { RENEW_SECS: renewSecs, STATUS_SECS: REAL.statusSecs } })
    try {
        const start = await fw.guard("at boot", fw.waitFor(/^start: /, 60000))
        const connecting = await fw.guard("at boot", fw.waitFor(/^connecting to /, 60000))
        const ready = await fw.guard("at boot", eventually("Ready=True", 60000, () => readyTrueAfter(api, node, 0)))
        const renewed1 = await fw.guard("at boot", fw.waitFor(/^lease: renewed #1 /, 60000))
        await new Promise(r => setTimeout(r, Math.max(0, renewed1.at + offsetMs - Date.now())))

        const mark = fw.lineCount
        await api.refuseConnections(outageMs)
        const downAt = Date.now()
        const backAt = downAt + outageMs
        // after the outage the next renewal waits for the renewal period's tick
        const renewed = await fw.guard(
            "after the outage",
            fw.waitFor(/^lease: renewed #/, outageMs + 6 * renewSecs * 1000, mark)
        )
        if (renewed.at < backAt) throw new Error(`a renewal succeeded during the outage: ${renewed.text}`)
        const wentUnknown = api.readyTransitions(node).some(t => t.to === "Unknown" && t.time >= downAt)
        const readyAgain = wentUnknown
            ? await fw.guard("after the outage", eventually("Ready=True again", 60000, () => readyTrueAfter(api, node, backAt)))
            : undefined
        return {
            readyFromStartMs: ready.time - start.at,
            readyFromLaunchMs: ready.time - fw.launchedAt,
            connectingFromStartMs: connecting.at - start.at,
            offsetMs,
            recoveryMs: renewed.at - backAt,
            outageTotalMs: renewed.at - downAt,
            wentUnknown,
            readyAgainMs: readyAgain && readyAgain.time - backAt,
        }
    } finally {
        await fw.stop()
    }
}

export async function benchTiming(api: ApiServer, plan: Plan): Promise<Timing> {
    const samples: TimingSample[] = []
    const n = plan.timing.sessions
    for (let i = 1; i <= n; i++) {
        const offsetMs = Math.round(((i - 0.5) / n) * plan.timing.renewSecs * 1000)
        samples.push(await session(api, `esp-time-0${i}`, plan, offsetMs))
        const s = samples[samples.length - 1]
        console.error(`bench: timing session ${i}: Ready ${s.readyFromStartMs} ms after start:, renewed ${s.recoveryMs} ms after the outage`)
    }
    const m = (f: (s: TimingSample) => number) => median(samples.map(f))
    const unknown = samples.filter(s => s.wentUnknown)
    return {
        samples,
        outageMs: plan.timing.outageMs,
        renewSecs: plan.timing.renewSecs,
        median: {
            readyFromStartMs: m(s => s.readyFromStartMs),
            readyFromLaunchMs: m(s => s.readyFromLaunchMs),
            connectingFromStartMs: m(s => s.connectingFromStartMs),
            recoveryMs: m(s => s.recoveryMs),
            outageTotalMs: m(s => s.outageTotalMs),
            readyAgainMs: unknown.length ? median(unknown.map(s => s.readyAgainMs!)) : undefined,
        },
    }
}
