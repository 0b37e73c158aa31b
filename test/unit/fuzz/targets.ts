// Every fuzz target, by the name `npm run fuzz -- <name>` takes.
import { FuzzTarget } from "./rng"
import { httpTarget } from "./http"
import { jsonTarget } from "./json"
import { protoTarget } from "./proto"
import { datesTarget } from "./dates"
import { settingsTarget } from "./settings"

export const FUZZ_TARGETS: FuzzTarget[] = [httpTarget, jsonTarget, datesTarget, settingsTarget, protoTarget]
