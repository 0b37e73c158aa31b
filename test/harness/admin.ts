import { readFileSync } from "node:fs"
import { request } from "node:https"
import type { ApiServer } from "../../tools/apiserver"

/** A request to the emulator as the cluster admin (kubectl's role in tests). */
export function adminRequest(
    api: ApiServer,
    method: string,
    path: string,
    body?: unknown,
    contentType = "application/json"
): Promise<{ status: number; json: any }> {
    const url = new URL(api.url)
    return new Promise((resolve, reject) => {
        const req = request(
            {
                host: url.hostname,
                port: url.port,
                method,
                path,
                ca: readFileSync(api.caFile!),
                headers: {
                    Authorization: `Bearer ${api.tokens.admin}`,
                    Accept: "application/json",
                    ...(body === undefined ? {} : { "Content-Type": contentType }),
                },
            },
            res => {
                let text = ""
                res.on("data", d => (text += d))
                res.on("end", () => resolve({ status: res.statusCode!, json: text ? JSON.parse(text) : undefined }))
            }
        )
        req.on("error", reject)
        req.end(body === undefined ? undefined : JSON.stringify(body))
    })
}

/** Polls `probe` until it returns a value other than undefined. */
export async function eventually<T>(
    what: string,
    timeoutMs: number,
    probe: () => T | undefined | Promise<T | undefined>,
    everyMs = 200
): Promise<T> {
    const deadline = Date.now() + timeoutMs
    let last: unknown
    while (Date.now() < deadline) {
        try {
            const v = await probe()
            if (v !== undefined) return v
        } catch (e) {
            last = e
        }
        await new Promise(r => setTimeout(r, everyMs))
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last}` : ""}`)
}

export const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))
