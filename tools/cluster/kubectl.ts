// The real kubectl, as a user runs it against the local control plane.
import { execFile } from "node:child_process"

export class KubectlError extends Error {
    constructor(readonly args: string[], readonly code: number | string, readonly stderr: string) {
        super(`kubectl ${args.join(" ")} failed (${code}): ${stderr.trim()}`)
    }
}

export class Kubectl {
    constructor(readonly path: string, readonly kubeconfig: string, private readonly identity: string[] = []) {}

    /** The same kubectl acting with a bearer token only (no client certificate): the token's own rights. */
    withToken(server: string, caFile: string, token: string): Kubectl {
        return new Kubectl(this.path, "/dev/null", [`--server=${server}`, `--certificate-authority=${caFile}`, `--token=${token}`])
    }

    /** Runs kubectl with the admin kubeconfig (or `env` overrides); resolves with stdout, rejects with stderr. */
    run(...args: string[]): Promise<string> {
        return this.exec(args)
    }

    exec(args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<string> {
        return new Promise((resolve, reject) => {
            const child = execFile(
                this.path,
                [...this.identity, ...args],
                { env: { ...process.env, KUBECONFIG: this.kubeconfig, ...opts.env }, timeout: 60000, maxBuffer: 16 << 20 },
                (err, stdout, stderr) => {
                    // args only: the identity holds the token
                    if (err) reject(new KubectlError(args, (err as any).code ?? "error", String(stderr)))
                    else resolve(String(stdout))
                }
            )
            if (opts.input !== undefined) child.stdin!.end(opts.input)
        })
    }

    async json(...args: string[]): Promise<any> {
        return JSON.parse(await this.run(...args, "-o", "json"))
    }

    apply(manifest: string): Promise<string> {
        return this.exec(["apply", "-f", "-"], { input: manifest })
    }
}
