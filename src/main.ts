import * as ds from "@devicescript/core"
import { awaitValidConfig, describeConfig } from "./config"
import { startLedFiber } from "./led/fiber"
import { LedStatus } from "./led/status"

const led = new LedStatus(ds.millis())
await startLedFiber(led)

const config = await awaitValidConfig(() => (led.settingsInvalid = true))
led.settingsInvalid = false
console.log(`config: ${describeConfig(config)}`)
