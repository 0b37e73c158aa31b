// Bearer tokens -> users, like kube-apiserver with --enable-bootstrap-token-auth,
// ServiceAccount tokens, and a static admin token standing in for the
// client certificate an admin would use. The kubelet's identities are one
// node's, as deploy/ names them: ServiceAccount picokubelet/<node> and the
// bootstrap-token group system:bootstrappers:picokubelet:<node>. The emulator
// serves one identity, deploy/rbac.yaml's own node (esp-node-01): its RBAC
// ignores resourceNames and it does not run deploy/pod-policy.yaml, so that
// identity serves a kubelet of any NODE_NAME (the real server's tests check both).
import { randomBytes, randomUUID } from "node:crypto"

export interface User {
    name: string
    groups: string[]
}

export interface Tokens {
    bootstrap: string
    jwt: string
    admin: string
}

export const anonymous: User = { name: "system:anonymous", groups: ["system:unauthenticated"] }

/** The node deploy/rbac.yaml is written for, whose identity the emulator's tokens carry. */
export const IDENTITY_NODE = "esp-node-01"

/** The ServiceAccount the JWT names: the node's, as deploy/rbac.yaml binds it to the kubelet role. */
export const serviceAccount = { namespace: "picokubelet", name: IDENTITY_NODE }

/** The group deploy/bootstrap-token.yaml gives a node's bootstrap token. */
export const bootstrapGroup = (node: string) => `system:bootstrappers:picokubelet:${node}`

const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
const randomToken = (n: number) => [...randomBytes(n)].map(b => alphabet[b % alphabet.length]).join("")

export const bootstrapTokenPattern = /^[a-z0-9]{6}\.[a-z0-9]{16}$/

export function newBootstrapToken(): string {
    return `${randomToken(6)}.${randomToken(16)}`
}

export const newAdminToken = () => randomBytes(24).toString("hex")

const b64url = (v: string | Buffer) => Buffer.from(v).toString("base64url")

/**
 * A token shaped like a ServiceAccount token (RS256 header, the usual claims,
 * a 2048-bit signature) so that requests carry the ~0.9 KB a real one costs.
 * Nobody verifies the signature: the emulator compares tokens as strings.
 */
export function newServiceAccountJwt(issuedAt: number, node = IDENTITY_NODE): string {
    const iat = Math.floor(issuedAt / 1000)
    const header = { alg: "RS256", kid: randomBytes(32).toString("base64url").slice(0, 43) }
    const payload = {
        aud: ["https://kubernetes.default.svc.cluster.local"],
        exp: iat + 10 * 365 * 86400,
        iat,
        iss: "https://kubernetes.default.svc.cluster.local",
        "kubernetes.io": {
            namespace: serviceAccount.namespace,
            secret: { name: `${node}-token`, uid: randomUUID() },
            serviceaccount: { name: node, uid: randomUUID() },
        },
        nbf: iat,
        sub: `system:serviceaccount:${serviceAccount.namespace}:${node}`,
    }
    const unsigned = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`
    return `${unsigned}.${b64url(randomBytes(256))}`
}

export const adminUser: User = { name: "kubernetes-admin", groups: ["system:masters", "system:authenticated"] }

export function authenticator(tokens: Tokens, node = IDENTITY_NODE): (authorization: string | undefined) => User | undefined {
    const users = new Map<string, User>([
        [
            tokens.bootstrap,
            {
                name: `system:bootstrap:${tokens.bootstrap.split(".")[0]}`,
                groups: ["system:bootstrappers", bootstrapGroup(node), "system:authenticated"],
            },
        ],
        [
            tokens.jwt,
            {
                name: `system:serviceaccount:${serviceAccount.namespace}:${node}`,
                groups: ["system:serviceaccounts", `system:serviceaccounts:${serviceAccount.namespace}`, "system:authenticated"],
            },
        ],
        [tokens.admin, adminUser],
    ])
    // undefined: credentials were presented and rejected (401)
    return authorization => {
        if (authorization === undefined) return anonymous
        const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization)
        return m ? users.get(m[1]) : undefined
    }
}
