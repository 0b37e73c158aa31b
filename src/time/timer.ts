/**
 * Monotonic time and waiting: ds.millis and ds.sleep on the device, a fake
 * clock in the unit tests, so the loops run their schedules in milliseconds.
 */
export interface Timer {
    now(): number
    sleep(ms: number): Promise<void>
}
