// Decisions of the Picokubelet Updater. The record is what survives a reset: the running and
// the previous image, a deploy under way, the trial's clock and panics, the last failure.
#include "updater_sm.h"

#include <stdio.h>
#include <string.h>

static void set_error(upd_t *u, const char *why) {
    snprintf(u->rec.error, sizeof(u->rec.error), "%s", why);
}

static void set_rejected(upd_t *u, const uint8_t *manifest) {
    memcpy(u->rec.rejected, manifest, UPD_DIGEST);
    u->rec.rejected_len = UPD_DIGEST;
}

// the running image on trial is replaced by the previous one; after a failed deploy the same
// restore leaves the state Failed (the running image did not change, in the spec's words)
static bool restore(upd_t *u, uint8_t final_state, const char *why) {
    if (!u->rec.prev.valid)
        return false;
    if (u->rec.running.has_manifest)
        set_rejected(u, u->rec.running.manifest);
    set_error(u, why);
    u->rec.deploying = UPD_DEPLOY_PREV;
    u->rec.after_restore = final_state;
    return true;
}

void upd_init(upd_t *u, const upd_record_t *saved) {
    memset(u, 0, sizeof(*u));
    if (saved && saved->magic == UPD_RECORD_MAGIC)
        u->rec = *saved;
    u->rec.magic = UPD_RECORD_MAGIC;
    u->rec.error[UPD_ERROR_MAX - 1] = 0;
    if (u->rec.state == UPD_STAGING)
        u->rec.state = UPD_IDLE;
}

void upd_fail(upd_t *u, const char *why) {
    if (u->rec.state == UPD_STAGING)
        set_rejected(u, u->manifest);
    set_error(u, why);
    u->rec.state = UPD_FAILED;
}

bool upd_begin(upd_t *u, const upd_begin_t *b, uint32_t capacity) {
    if (u->rec.state == UPD_TRIAL)
        return false;
    u->rec.rejected_len = 0;
    u->rec.error[0] = 0;
    u->staged = 0;
    char why[UPD_ERROR_MAX];
    if (b->digests_len != UPD_BEGIN_DIGESTS) {
        // no manifest digest to reject: rejected_digest stays empty
        u->size = 0;
        snprintf(why, sizeof(why), "digests are %lu bytes, not %d", (unsigned long)b->digests_len,
                 UPD_BEGIN_DIGESTS);
        set_error(u, why);
        u->rec.state = UPD_FAILED;
        return false;
    }
    u->size = b->size;
    memcpy(u->want_sha256, b->digests, UPD_DIGEST);
    memcpy(u->manifest, b->digests + UPD_DIGEST, UPD_DIGEST);
    u->trial_seconds = b->trial_seconds;
    u->rec.state = UPD_STAGING;

    if (b->size == 0)
        snprintf(why, sizeof(why), "size is 0");
    else if (b->size > capacity)
        snprintf(why, sizeof(why), "%lu bytes exceed the capacity of %lu",
                 (unsigned long)b->size, (unsigned long)capacity);
    else if (b->size % 32)
        // the runtime deploys whole 32-byte words; the compiler pads .devs files to them
        snprintf(why, sizeof(why), "size %lu is not a multiple of 32", (unsigned long)b->size);
    else
        return true;
    u->size = 0;
    upd_fail(u, why);
    return false;
}

bool upd_write_ok(const upd_t *u, uint32_t offset, uint32_t len) {
    return u->rec.state == UPD_STAGING && len > 0 && offset == u->staged &&
           len <= u->size - u->staged;
}

void upd_wrote(upd_t *u, uint32_t len) {
    u->staged += len;
}

bool upd_commit(upd_t *u) {
    if (u->rec.state != UPD_STAGING)
        return false;
    if (u->staged == u->size)
        return true;
    char why[UPD_ERROR_MAX];
    snprintf(why, sizeof(why), "only %lu of %lu bytes staged", (unsigned long)u->staged,
             (unsigned long)u->size);
    upd_fail(u, why);
    return false;
}

bool upd_verified(upd_t *u, const uint8_t sha256[UPD_DIGEST], bool runtime_accepts,
                  bool have_running) {
    if (memcmp(sha256, u->want_sha256, UPD_DIGEST) != 0)
        upd_fail(u, "SHA-256 of the staged bytes does not match");
    else if (!runtime_accepts)
        upd_fail(u, "the runtime refuses the image (another bytecode version?)");
    else if (!have_running)
        upd_fail(u, "no valid running image to keep as the previous one");
    else
        return true;
    return false;
}

void upd_deploying(upd_t *u, const upd_image_t *prev) {
    u->rec.prev = *prev;
    u->rec.running = (upd_image_t){.has_manifest = 1, .valid = 1, .size = u->size};
    memcpy(u->rec.running.sha256, u->want_sha256, UPD_DIGEST);
    memcpy(u->rec.running.manifest, u->manifest, UPD_DIGEST);
    u->rec.deploying = UPD_DEPLOY_NEW;
}

bool upd_deploy_failed(upd_t *u) {
    return restore(u, UPD_FAILED, "the runtime's deploy failed");
}

void upd_deployed(upd_t *u) {
    u->rec.deploying = UPD_DEPLOY_NONE;
    u->rec.state = UPD_TRIAL;
    u->rec.trial_seconds = u->trial_seconds;
    u->rec.trial_elapsed_s = 0;
    u->rec.panics = 0;
}

void upd_confirm(upd_t *u) {
    uint8_t s = u->rec.state;
    if (s == UPD_TRIAL || s == UPD_FAILED || s == UPD_ROLLED_BACK)
        u->rec.state = UPD_IDLE;
}

void upd_abort(upd_t *u) {
    if (u->rec.state != UPD_STAGING)
        return;
    u->rec.state = UPD_IDLE;
    u->size = u->staged = 0;
}

bool upd_tick(upd_t *u, uint32_t seconds) {
    if (u->rec.state != UPD_TRIAL || u->rec.deploying)
        return false;
    u->rec.trial_elapsed_s += seconds;
    if (u->rec.trial_elapsed_s < u->rec.trial_seconds)
        return false;
    char why[UPD_ERROR_MAX];
    snprintf(why, sizeof(why), "no confirm within %u s of trial", (unsigned)u->rec.trial_seconds);
    return restore(u, UPD_ROLLED_BACK, why);
}

bool upd_panicked(upd_t *u) {
    if (u->rec.state != UPD_TRIAL || u->rec.deploying)
        return false;
    if (++u->rec.panics < UPD_MAX_PANICS)
        return false;
    return restore(u, UPD_ROLLED_BACK, "the program panicked 3 times on trial");
}

bool upd_boot(upd_t *u, bool program_valid, bool crash_reset) {
    switch (u->rec.deploying) {
    case UPD_DEPLOY_PREV:
        return u->rec.prev.valid;
    case UPD_DEPLOY_NEW:
        u->rec.deploying = UPD_DEPLOY_NONE;
        return restore(u, UPD_ROLLED_BACK, "the device reset during the deploy");
    }
    if (!program_valid)
        return restore(u, UPD_ROLLED_BACK, "the program image is not valid (a reset mid-deploy?)");
    if (crash_reset && upd_panicked(u))
        return true;
    return upd_tick(u, 0);
}

void upd_rolled_back(upd_t *u) {
    u->rec.running = u->rec.prev;
    u->rec.state = u->rec.after_restore;
    u->rec.deploying = UPD_DEPLOY_NONE;
}

void upd_restore_failed(upd_t *u) {
    set_error(u, "the previous image could not be deployed");
    u->rec.running.valid = 0;
    u->rec.state = UPD_FAILED;
    u->rec.deploying = UPD_DEPLOY_NONE;
}
