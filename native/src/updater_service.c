// Jacdac server for services/picokubeletupdater.md: packets and the clock in, updater_sm.c
// decides, updater_store.c moves the bytes.
#include "picokubelet_updater.h"

#include <stdio.h>
#include <string.h>

#include "jd_protocol.h"
#include "jd_picokubelet_services.h"

#include "devicescript.h"
#include "devs_bytecode.h"
#include "esp_system.h"
#include "updater_sm.h"
#include "updater_store.h"

// a reset loses at most this much of a trial's clock; each save is one small-setting entry
#define PERSIST_EVERY_S 15
// begin's packed arguments ("u32 u16 b"): size, trial_seconds, then digests (the image's SHA-256
// and its manifest digest, 64 bytes; updater_sm.c refuses any other length)
#define BEGIN_HEADER 6
#define WRITE_HEADER 4

struct srv_state {
    SRV_COMMON;
    upd_t upd;
    bool commit_pending;
    uint8_t reported_state;
    uint32_t reported_staged;
    uint32_t last_ms, ms_carry;
};

REG_DEFINITION(updater_regs, REG_SRV_COMMON, )

// devs_panic() runs inside the VM: it only counts, process() acts
static volatile unsigned panics_seen;

// Overrides the runtime's weak hook (devsmgr.c), which devs_panic() calls for every panic of
// the program. 0 and DEVS_PANIC_REBOOT are a restart the program asked for, not a fault.
void devs_panic_handler(int exitcode) {
    if (exitcode != 0 && exitcode != DEVS_PANIC_REBOOT)
        panics_seen++;
}

static void save(srv_t *state) {
    store_save_record(&state->upd.rec);
}

static void restore_previous(srv_t *state) {
    upd_t *u = &state->upd;
    save(state); // says "deploying the previous image" before the runtime erases "*prog"
    if (store_prev_intact(&u->rec.prev) && store_deploy(STORE_KEY_PREV, u->rec.prev.size) == 0)
        upd_rolled_back(u);
    else
        upd_restore_failed(u);
    save(state);
}

static void commit(srv_t *state) {
    upd_t *u = &state->upd;
    uint8_t sha[UPD_DIGEST];
    store_stage_sha256(u->size, sha);
    upd_image_t running;
    bool have_running = store_running(&running);
    if (!upd_verified(u, sha, store_stage_verifies(u->size), have_running)) {
        save(state);
        return;
    }
    if (!store_keep_running(&running)) {
        upd_fail(u, "no room to keep the running image");
        save(state);
        return;
    }
    // the previous image is known by its manifest only if this service installed it
    if (u->rec.running.valid && u->rec.running.has_manifest &&
        memcmp(u->rec.running.sha256, running.sha256, UPD_DIGEST) == 0) {
        memcpy(running.manifest, u->rec.running.manifest, UPD_DIGEST);
        running.has_manifest = 1;
    }
    upd_deploying(u, &running);
    save(state);
    if (store_deploy(STORE_KEY_STAGE, u->size) == 0) {
        upd_deployed(u);
        save(state);
    } else if (upd_deploy_failed(u)) {
        restore_previous(state);
    } else {
        upd_restore_failed(u);
        save(state);
    }
}

// Commands are not acknowledged, and a DeviceScript client answers a register read from its
// cache for up to 500 ms (services/picokubeletupdater.md): a change of staged or state goes out
// at once as the report a get would produce, so the client's cache holds the new value.
static void report_changes(srv_t *state) {
    upd_t *u = &state->upd;
    if (u->staged != state->reported_staged) {
        state->reported_staged = u->staged;
        jd_send(state->service_index, JD_GET(JD_PICOKUBELET_UPDATER_REG_STAGED), &u->staged, 4);
    }
    if (u->rec.state != state->reported_state) {
        state->reported_state = u->rec.state;
        jd_send(state->service_index, JD_GET(JD_PICOKUBELET_UPDATER_REG_STATE), &u->rec.state, 1);
    }
}

static void advance(srv_t *state) {
    upd_t *u = &state->upd;
    if (state->commit_pending) {
        state->commit_pending = false;
        if (u->rec.state == UPD_STAGING)
            commit(state);
    }
    for (; panics_seen; panics_seen--)
        if (upd_panicked(u))
            restore_previous(state);
        else
            save(state);

    // whole seconds of now_ms, the rest carried: a long flash operation still counts in full
    state->ms_carry += now_ms - state->last_ms;
    state->last_ms = now_ms;
    uint32_t secs = state->ms_carry / 1000;
    if (!secs)
        return;
    state->ms_carry %= 1000;
    uint32_t before = u->rec.trial_elapsed_s;
    if (upd_tick(u, secs))
        restore_previous(state);
    else if (u->rec.trial_elapsed_s / PERSIST_EVERY_S != before / PERSIST_EVERY_S)
        save(state);
}

static void updater_process(srv_t *state) {
    advance(state);
    report_changes(state);
}

static uint32_t rd32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static void begin_cmd(srv_t *state, const jd_packet_t *pkt) {
    // a packet shorter than the fixed fields has no digests: refused for that, not ignored
    uint8_t head[BEGIN_HEADER] = {0};
    unsigned n = pkt->service_size;
    memcpy(head, pkt->data, n < BEGIN_HEADER ? n : BEGIN_HEADER);
    uint16_t trial;
    memcpy(&trial, head + 4, 2);
    upd_begin_t b = {.size = rd32(head),
                     .trial_seconds = trial,
                     .digests = pkt->data + BEGIN_HEADER,
                     .digests_len = n > BEGIN_HEADER ? n - BEGIN_HEADER : 0};
    state->commit_pending = false;
    if (upd_begin(&state->upd, &b, store_capacity()) &&
        !(store_room_for(b.size) && store_stage_prep(b.size)))
        upd_fail(&state->upd, "no contiguous room in flash for this image");
}

static void write_cmd(srv_t *state, const jd_packet_t *pkt) {
    if (pkt->service_size < WRITE_HEADER)
        return;
    uint32_t offset = rd32(pkt->data);
    uint32_t len = pkt->service_size - WRITE_HEADER;
    if (state->commit_pending || !upd_write_ok(&state->upd, offset, len))
        return;
    store_stage_write(offset, pkt->data + WRITE_HEADER, len);
    upd_wrote(&state->upd, len);
}

static void running_digest(srv_t *state, jd_packet_t *pkt) {
    const upd_image_t *r = &state->upd.rec.running;
    uint8_t sha[UPD_DIGEST];
    // someone else may have deployed since: only the program's own hash can tell
    if (r->valid && r->has_manifest && !state->upd.rec.deploying && devsmgr_get_hash(sha) == 0 &&
        memcmp(sha, r->sha256, UPD_DIGEST) == 0)
        jd_send(pkt->service_index, pkt->service_command, r->manifest, UPD_DIGEST);
    else
        jd_respond_empty(pkt);
}

static void updater_handle_packet(srv_t *state, jd_packet_t *pkt) {
    upd_t *u = &state->upd;
    char version[24];
    switch (pkt->service_command) {
    case JD_PICOKUBELET_UPDATER_CMD_BEGIN:
        begin_cmd(state, pkt);
        break;
    case JD_PICOKUBELET_UPDATER_CMD_WRITE:
        write_cmd(state, pkt);
        report_changes(state);
        return; // staging is RAM until commit: nothing to persist per piece
    case JD_PICOKUBELET_UPDATER_CMD_COMMIT:
        // the deploy stops the program that sent this: do it from process(), not mid-dispatch
        state->commit_pending = upd_commit(u);
        break;
    case JD_PICOKUBELET_UPDATER_CMD_CONFIRM:
        upd_confirm(u);
        break;
    case JD_PICOKUBELET_UPDATER_CMD_ABORT:
        if (!state->commit_pending)
            upd_abort(u);
        break;
    case JD_GET(JD_PICOKUBELET_UPDATER_REG_CAPACITY):
        jd_respond_u32(pkt, store_capacity());
        return;
    case JD_GET(JD_PICOKUBELET_UPDATER_REG_STAGED):
        jd_respond_u32(pkt, u->staged);
        return;
    case JD_GET(JD_PICOKUBELET_UPDATER_REG_STATE):
        jd_send(pkt->service_index, pkt->service_command, &u->rec.state, 1);
        return;
    case JD_GET(JD_PICOKUBELET_UPDATER_REG_RUNNING_DIGEST):
        running_digest(state, pkt);
        return;
    case JD_GET(JD_PICOKUBELET_UPDATER_REG_REJECTED_DIGEST):
        jd_send(pkt->service_index, pkt->service_command, u->rec.rejected, u->rec.rejected_len);
        return;
    case JD_GET(JD_PICOKUBELET_UPDATER_REG_ERROR):
        jd_respond_string(pkt, u->rec.error);
        return;
    case JD_GET(JD_PICOKUBELET_UPDATER_REG_RUNTIME_VERSION):
        snprintf(version, sizeof(version), "v%d.%d.%d", DEVS_IMG_VERSION_MAJOR,
                 DEVS_IMG_VERSION_MINOR, DEVS_IMG_VERSION_PATCH);
        jd_respond_string(pkt, version);
        return;
    default:
        service_handle_register_final(state, pkt, updater_regs);
        return;
    }
    report_changes(state);
    save(state);
}

SRV_DEF(updater, JD_SERVICE_CLASS_PICOKUBELET_UPDATER);

// devicescript-esp32 wraps panic_restart to call target_reset(), which restarts through a 20 ms
// deep sleep: after a C panic or watchdog the chip reports ESP_RST_DEEPSLEEP, the same as any
// target_reset() (a board-config change in a new image, a reboot the program asks for). On trial
// those count too; the stock IDF reasons stay for a build without that wrap.
static bool crash_reset(void) {
    switch (esp_reset_reason()) {
    case ESP_RST_DEEPSLEEP:
    case ESP_RST_PANIC:
    case ESP_RST_INT_WDT:
    case ESP_RST_TASK_WDT:
    case ESP_RST_WDT:
        return true;
    default:
        return false;
    }
}

void picokubelet_updater_init(void) {
    SRV_ALLOC(updater);
    upd_record_t saved;
    upd_init(&state->upd, store_load_record(&saved) ? &saved : NULL);
    state->last_ms = now_ms;
    panics_seen = 0;
    upd_image_t running;
    if (upd_boot(&state->upd, store_running(&running), crash_reset()))
        restore_previous(state);
    else
        save(state);
    // nothing to report: the program that reads these starts with this boot
    state->reported_staged = state->upd.staged;
    state->reported_state = state->upd.rec.state;
}
