// Runs only the transport suites: node node_modules/@devicescript/cli/built/devicescript-cli.cjs run test/unit/net/only.ts --test --test-self-exit -T 300000
import "./framing.test"
import "./client.test"
import "./queue.test"
import "./counters.test"
import "./socket-wire.test"
