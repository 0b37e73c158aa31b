import { Timer } from "../time/timer"
import { retryBackoff } from "./backoff"

/**
 * Runs `step` until it succeeds, backing off 100 ms doubling to 7 s with
 * jitter, forever: a kubelet that gives up is a node that disappears.
 */
export async function retryForever(what: string, step: () => Promise<void>, timer: Timer, random: () => number, onFailure?: (e: any) => void) {
    const backoff = retryBackoff(random)
    while (true) {
        try {
            await step()
            return
        } catch (e: any) {
            const wait = backoff.next()
            console.error(`kubelet: ${what} failed (try ${backoff.attempts()}): ${e.message}; retrying in ${wait} ms`)
            if (onFailure) onFailure(e)
            await timer.sleep(wait)
        }
    }
}
