// Runs only the reconciler suites: node node_modules/@devicescript/cli/built/devicescript-cli.cjs run test/unit/reconcilers/only.ts --test --test-self-exit
import "./lease.test"
import "./status.test"
