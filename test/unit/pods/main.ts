// Entry point of the pod theater's and the firmware updates' VM tests: a third program, as one
// DeviceScript image holds at most 64 KB of function bytecode.
import "./facts.test"
import "./book.test"
import "./bodies.test"
import "../reconcilers/pods.test"
import "../update/reference.test"
import "../reconcilers/firmware.test"
