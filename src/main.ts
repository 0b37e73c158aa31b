import { runKubelet } from "./kubelet/run"

await runKubelet()
