import { awaitValidConfig, describeConfig } from "./config"

const config = await awaitValidConfig()
console.log(`config: ${describeConfig(config)}`)
