// Entry point of the VM unit tests: every suite registers itself on import.
import "./time.test"
import "./config.test"
