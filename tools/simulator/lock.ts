import { tmpdir } from "node:os"
import { join } from "node:path"
import { acquireLock } from "../lock"

// devtools' ports are fixed, so simulator sessions on one machine take turns.
const LOCK = join(tmpdir(), "picokubelet-devtools.lock")

export const acquireDevtoolsLock = (timeoutMs: number) =>
    acquireLock(LOCK, { timeoutMs, what: "another simulator session (npm start running?)" })
