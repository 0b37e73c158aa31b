// The fuzz campaigns' seeded generator and runner. A case is a function of
// its seed alone, so a printed seed replays it: npm run fuzz -- <target> --seed N --cases 1
import * as ds from "@devicescript/core"

/** xorshift32: integer-only, so the VM and any replay draw the same numbers. */
export class Rng {
    private s: number
    constructor(seed: number) {
        // a zero state would stay zero; three rounds spread consecutive seeds apart
        let s = (seed | 0) ^ 0x5bd1e995
        this.s = s === 0 ? 0x6d2b79f5 : s
        this.next()
        this.next()
        this.next()
    }
    next(): number {
        let s = this.s
        s ^= s << 13
        s ^= s >>> 17
        s ^= s << 5
        this.s = s
        // 31 bits: the VM's % works on int32, so 2^31 and up come out negative
        return s >>> 1
    }
    /** 0 <= r < n */
    int(n: number): number {
        return n > 0 ? this.next() % n : 0
    }
    /** True one time in n. */
    oneIn(n: number): boolean {
        return this.int(n) === 0
    }
    pick<T>(items: T[]): T {
        return items[this.int(items.length)]
    }
}

/** One case: throws (an Error saying which property broke) when a property does not hold. */
export interface FuzzTarget {
    name: string
    run(rng: Rng): Promise<void> | void
}

export interface CampaignReport {
    cases: number
    ms: number
}

/**
 * Runs cases seed..seed+cases-1, each starting on a fresh fiber slice: a
 * case that trips the 128k-opcode watchdog is a finding (unbounded work per slice).
 * A watchdog panic prints no seed: rerun the batch with `verbose`, which
 * prints each seed before its case, and rethrows an error with its own stack.
 */
export async function campaign(t: FuzzTarget, seed: number, cases: number, verbose?: boolean): Promise<CampaignReport> {
    const t0 = ds.millis()
    for (let i = 0; i < cases; i++) {
        const s = seed + i
        if (verbose) console.log(`fuzz ${t.name}: seed ${s}`)
        else if (i % 5000 === 0 && i) console.log(`fuzz ${t.name}: ${i} cases, seeds ${seed}..${s - 1} passed`)
        await ds.sleep(0)
        try {
            await t.run(new Rng(s))
        } catch (e: any) {
            if (verbose) throw e
            throw new Error(`fuzz ${t.name}: seed ${s}: ${e && e.message} (replay: npm run fuzz -- ${t.name} --seed ${s} --cases 1)`)
        }
    }
    const ms = ds.millis() - t0
    console.log(`fuzz ${t.name}: ${cases} cases from seed ${seed} passed in ${ms} ms`)
    return { cases, ms }
}

/** Fails the case with a message naming the property. */
export function check(ok: boolean, property: string) {
    if (!ok) throw new Error(property)
}
