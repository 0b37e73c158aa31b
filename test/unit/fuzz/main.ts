// The second VM test program: the transport suites and the fuzz campaigns at
// the CI budget. One DeviceScript image holds at most 64 KB of function
// bytecode (verifier check 1051); the unit suites alone had reached 65.3 KB.
import "../net/framing.test"
import "../net/client.test"
import "../net/queue.test"
import "../net/counters.test"
import "../net/socket-wire.test"
import "./fuzz.test"
