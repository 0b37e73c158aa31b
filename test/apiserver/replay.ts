// Sends a recorded exchange sequence to a server, adapted to it: the
// placeholder bootstrap token becomes the server's, admin requests carry the
// server's admin credential, and uids and continue tokens the recording
// quotes become the uids this server assigned and the tokens it gave. Used
// to record fixtures and by the differential test.
import { join } from "node:path"
import type { RawResponse } from "./wire"
import { RawClient } from "./wire"

/** The token the recordings carry in place of a real one. */
export const PLACEHOLDER_TOKEN = "abcdef.0123456789abcdef"
/** The node the recorded sequence registers. */
export const FIXTURE_NODE = "esp-node-01-fixture"
/** Extra rights the recorded pod and event exchanges need. */
export const RECORDING_RBAC = join(__dirname, "..", "fixtures", "recording-rbac.yaml")

export interface ReplayTarget {
    port: number
    /** Undefined for plain HTTP. */
    caFile: string | undefined
    /** A bootstrap token of the same shape (23 characters, so Content-Lengths stay right). */
    token: string
    /** How an admin authenticates: a bearer token (the emulator) or a client certificate (a real server). */
    admin: { token: string } | { certFile: string; keyFile: string }
}

/**
 * One request of a sequence. The uids it quotes are those of the objects the
 * recording's earlier replies created: `response` (a recorded reply) or, for a
 * request not recorded yet, `uid`, the placeholder that stands for the uid
 * this request's reply assigns (test/apiserver/pod-theater.ts).
 */
export interface ReplaySource {
    name: string
    request: Buffer
    response?: RawResponse
    uid?: string
    /**
     * Likewise for a paged list's continue token, which carries the list's
     * resourceVersion: the placeholder later requests quote for the token
     * this request's reply gives (a recorded reply's own token otherwise).
     */
    continueToken?: string
}

export interface Exchange {
    name: string
    /** The request as sent, the target's token in it. */
    request: Buffer
    response: RawResponse
}

const UID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g

const continueOf = (r: RawResponse): string | undefined => {
    try {
        return JSON.parse(r.body.toString("utf8"))?.metadata?.continue || undefined
    } catch {
        return undefined
    }
}

const uidOf = (r: RawResponse): string | undefined => {
    try {
        return JSON.parse(r.body.toString("utf8"))?.metadata?.uid
    } catch {
        return undefined
    }
}

export const isAdminRequest = (request: Buffer) => !/\r\nAuthorization:/i.test(request.toString("latin1"))

export async function replay(fixtures: ReplaySource[], target: ReplayTarget): Promise<Exchange[]> {
    const kubelet = new RawClient(target)
    const admin = "certFile" in target.admin ? new RawClient(target, target.admin) : kubelet
    const uids = new Map<string, string>()
    const tokens = new Map<string, string>()
    const out: Exchange[] = []
    try {
        for (const f of fixtures) {
            const asAdmin = isAdminRequest(f.request)
            let text = f.request.toString("latin1").split(PLACEHOLDER_TOKEN).join(target.token)
            if (asAdmin && "token" in target.admin)
                text = text.replace("\r\n\r\n", `\r\nAuthorization: Bearer ${target.admin.token}\r\n\r\n`)
            text = text.replace(UID, uid => uids.get(uid) ?? uid)
            for (const [recorded, assigned] of tokens) text = text.split(recorded).join(assigned)
            const request = Buffer.from(text, "latin1")
            const response = await (asAdmin ? admin : kubelet).exchange(request)
            const [recorded, assigned] = [f.uid ?? (f.response && uidOf(f.response)), uidOf(response)]
            if (recorded && assigned) uids.set(recorded, assigned)
            const [recordedToken, assignedToken] = [f.continueToken ?? (f.response && continueOf(f.response)), continueOf(response)]
            if (recordedToken && assignedToken) tokens.set(recordedToken, assignedToken)
            out.push({ name: f.name, request, response })
        }
    } finally {
        kubelet.close()
        admin.close()
    }
    return out
}
