// npm run record-fixtures: plays the recorded request sequence against the
// local real control plane and writes what it answers, byte for byte, to
// test/fixtures/kube-apiserver-<minor>/ (token replaced by the placeholder).
// With --append (npm run record-fixtures -- --append) the whole sequence is
// played as well, but only exchanges the directory lacks are written: the
// recorded ones stay byte for byte, and the README's table is rebuilt from
// the files.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { fixtureDirFor, loadFixtures, parseResponse } from "../../test/apiserver/wire"
import { podTheater } from "../../test/apiserver/pod-theater"
import { FIXTURE_NODE, isAdminRequest, PLACEHOLDER_TOKEN, RECORDING_RBAC, replay } from "../../test/apiserver/replay"
import { startCluster } from "./index"

async function main() {
    const cluster = await startCluster({ nodeNames: [FIXTURE_NODE] })
    try {
        await cluster.kubectl.apply(readFileSync(RECORDING_RBAC, "utf8"))
        // the 1.26 sequence (00-30), then the pod theater's requests (31 on)
        const exchanges = await replay([...loadFixtures(), ...podTheater()], {
            port: cluster.port,
            caFile: cluster.caFile,
            token: cluster.token,
            admin: cluster.adminCert,
        })
        const minor = cluster.version.replace(/^v(\d+\.\d+).*$/, "$1")
        const dir = fixtureDirFor(minor)
        const append = process.argv.includes("--append")
        if (!append) rmSync(dir, { recursive: true, force: true })
        mkdirSync(dir, { recursive: true })
        const rows: string[] = []
        const kept: string[] = []
        // the token, and its id where a reply names the user: same lengths, so the framing stays exact
        const placeholder = (b: Buffer) =>
            Buffer.from(
                b.toString("latin1").split(cluster.token).join(PLACEHOLDER_TOKEN)
                    .split(`system:bootstrap:${cluster.token.slice(0, 6)}`).join(`system:bootstrap:${PLACEHOLDER_TOKEN.slice(0, 6)}`),
                "latin1"
            )
        for (const x of exchanges) {
            const [requestFile, responseFile] = [join(dir, `${x.name}.request.http`), join(dir, `${x.name}.response.http`)]
            if (append && existsSync(responseFile)) kept.push(x.name)
            else {
                writeFileSync(requestFile, placeholder(x.request))
                writeFileSync(responseFile, placeholder(x.response.raw))
            }
            const raw = readFileSync(responseFile)
            const statusLine = raw.subarray(0, raw.indexOf("\r\n")).toString("latin1")
            rows.push(`| ${x.name} | ${statusLine} | ${raw.length} | ${parseResponse(raw)?.framing} |`)
        }
        const admins = exchanges.filter(x => isAdminRequest(x.request)).map(x => x.name)
        const readme = join(dir, "README.md")
        if (append && existsSync(readme)) {
            // the prose stays (it tells which run recorded what); the admin list and the table follow the files
            const text = readFileSync(readme, "utf8")
            const table = text.indexOf("| exchange |")
            const prose = text.slice(0, table).replace(/the placeholder (\S+); [^;]*? were sent by an admin/, `the placeholder $1; ${admins.join(", ")} were sent by an admin`)
            writeFileSync(readme, [prose + "| exchange | status line | response bytes | framing |", "|---|---|---|---|", ...rows, ""].join("\n"))
            console.log(`kept ${kept.length} recorded exchanges, appended ${exchanges.length - kept.length}`)
        } else writeFileSync(
            join(dir, "README.md"),
            [
                `# Raw HTTP/1.1 exchanges with a real kube-apiserver ${cluster.version} (kine on SQLite), recorded byte for byte`,
                "",
                "Recorded by `npm run record-fixtures` (tools/cluster/record-fixtures.ts): the requests of the",
                "1.26 set (00-30), then those of the firmware's pod theater (31 on, test/apiserver/pod-theater.ts),",
                "sent to the local control plane built from Go modules. The bootstrap token is shown as",
                `the placeholder ${PLACEHOLDER_TOKEN}; ${admins.join(", ")} were sent by an admin with a client`,
                "certificate. The kubelet's identity had deploy/rbac.yaml plus test/fixtures/recording-rbac.yaml;",
                "the names up to 30 are the 1.26 sequence's.",
                "",
                "| exchange | status line | response bytes | framing |",
                "|---|---|---|---|",
                ...rows,
                "",
            ].join("\n")
        )
        console.log(`recorded ${exchanges.length} exchanges with ${cluster.version} into ${dir}`)
    } finally {
        await cluster.stop()
    }
}

main().catch(e => {
    console.error(`record-fixtures: ${e.message}`)
    process.exit(1)
})
