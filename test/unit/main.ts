// Entry point of the VM unit tests: every suite registers itself on import.
// The transport suites run in a second program, fuzz/main.ts, and pod
// theater in a third, pods/main.ts: one image
// holds at most 64 KB of function bytecode.
import "./time.test"
import "./settings.test"
import "./k8s/bodies.test"
import "./k8s/conditions.test"
import "./k8s/proto-stream.test"
import "./led/patterns.test"
import "./led/status.test"
import "./kubelet/backoff.test"
import "./kubelet/identity.test"
import "./reconcilers/lease.test"
import "./reconcilers/status.test"
