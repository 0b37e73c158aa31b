// Entry point of the VM unit tests: every suite registers itself on import.
import "./time.test"
import "./config.test"
import "./k8s/models.test"
import "./k8s/conditions.test"
import "./led/patterns.test"
import "./led/status.test"
import "./kubelet/backoff.test"
import "./kubelet/identity.test"
