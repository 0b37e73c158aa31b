// The Picokubelet Updater's states and decisions (services/picokubeletupdater.md), free of I/O:
// updater_service.c reads flash, hashes and deploys, and tells this file what happened.
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define UPD_DIGEST 32
#define UPD_ERROR_MAX 64
#define UPD_MAX_PANICS 3
#define UPD_RECORD_MAGIC 0x4b505531 // bumped whenever upd_record_t changes

// the spec's State values
enum { UPD_IDLE, UPD_STAGING, UPD_TRIAL, UPD_FAILED, UPD_ROLLED_BACK };

// what a deploy was doing when it started; still set at boot means the device reset during it
enum { UPD_DEPLOY_NONE, UPD_DEPLOY_NEW, UPD_DEPLOY_PREV };

typedef struct {
    uint8_t sha256[UPD_DIGEST];   // of the image bytes
    uint8_t manifest[UPD_DIGEST]; // as begin gave it
    uint8_t has_manifest;         // 0: not installed by this service
    uint8_t valid;                // 0: no such image
    uint32_t size;
} upd_image_t;

// persisted as a small setting after every change, so that a reset keeps a trial going
typedef struct {
    uint32_t magic;
    uint8_t state;
    uint8_t deploying;
    uint8_t panics;
    uint8_t rejected_len;
    uint8_t after_restore; // the state once a restore of the previous image is done
    uint8_t reserved;
    uint16_t trial_seconds;
    uint32_t trial_elapsed_s;
    upd_image_t running, prev;
    uint8_t rejected[UPD_DIGEST];
    char error[UPD_ERROR_MAX];
} upd_record_t;

typedef struct {
    upd_record_t rec;
    // staging lives in RAM only: a reset drops it
    uint32_t size, staged;
    uint8_t want_sha256[UPD_DIGEST];
    uint8_t manifest[UPD_DIGEST];
    uint16_t trial_seconds;
} upd_t;

// begin's arguments: digests should be the image's SHA-256 then its manifest digest
typedef struct {
    uint32_t size;
    uint16_t trial_seconds;
    const uint8_t *digests;
    uint32_t digests_len; // anything but UPD_BEGIN_DIGESTS is refused
} upd_begin_t;

#define UPD_BEGIN_DIGESTS (2 * UPD_DIGEST)

void upd_init(upd_t *u, const upd_record_t *saved);

// true: the caller prepares the stage for b->size bytes, and calls upd_fail if it cannot;
// false: ignored (Trial) or refused (Failed, error says why)
bool upd_begin(upd_t *u, const upd_begin_t *b, uint32_t capacity);
// true: the caller stores the bytes at `offset`, then calls upd_wrote
bool upd_write_ok(const upd_t *u, uint32_t offset, uint32_t len);
void upd_wrote(upd_t *u, uint32_t len);
// true: everything announced is staged; the caller hashes it and calls upd_verified
bool upd_commit(upd_t *u);
// true: the caller deploys the stage, then calls upd_deployed or upd_fail
bool upd_verified(upd_t *u, const uint8_t sha256[UPD_DIGEST], bool runtime_accepts,
                  bool have_running);
// the caller has kept the running image as `prev` and deploys the stage now: the record says so
// before the runtime's deploy erases anything; then upd_deployed, or upd_deploy_failed (true:
// the caller deploys the previous image back, then calls upd_rolled_back)
void upd_deploying(upd_t *u, const upd_image_t *prev);
void upd_deployed(upd_t *u);
bool upd_deploy_failed(upd_t *u);
void upd_confirm(upd_t *u);
void upd_abort(upd_t *u);
void upd_fail(upd_t *u, const char *why);

// Time and panics on trial. true: the caller deploys the previous image now, then calls
// upd_rolled_back (the reason is already in error)
bool upd_tick(upd_t *u, uint32_t seconds);
bool upd_panicked(upd_t *u);
// at boot, before the program starts: a deploy the reset interrupted, or a program image that
// does not verify, brings the previous image back
bool upd_boot(upd_t *u, bool program_valid, bool crash_reset);
void upd_rolled_back(upd_t *u);
// the previous image could not be deployed either: nothing this service can run
void upd_restore_failed(upd_t *u);
