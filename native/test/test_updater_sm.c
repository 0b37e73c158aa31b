// The updater's decisions without flash (updater_sm.c) and the fstor capacity replay
// (fstor_space.c), as tables.
#include "fstor_space.h"
#include "test.h"
#include "updater_sm.h"

// begin's digests: the image's SHA-256 (5, 0, ...), then the manifest digest (7, 0, ...); one
// byte more for the 65-byte case
static const uint8_t digests[65] = {5, [32] = 7};
static const uint8_t *const sha = digests, *const manifest = digests + 32;

static upd_begin_t args(uint32_t size, uint16_t trial) {
    return (upd_begin_t){
        .size = size, .trial_seconds = trial, .digests = digests, .digests_len = 64};
}

// a commit that got as far as Trial, with a previous image to go back to
static void on_trial(upd_t *u, uint16_t trial) {
    upd_init(u, NULL);
    upd_begin_t b = args(64, trial);
    CHECK(upd_begin(u, &b, 1000));
    CHECK(upd_write_ok(u, 0, 64));
    upd_wrote(u, 64);
    CHECK(upd_commit(u));
    CHECK(upd_verified(u, sha, true, true));
    upd_image_t prev = {.valid = 1, .size = 96};
    upd_deploying(u, &prev);
    upd_deployed(u);
    CHECK_EQ(u->rec.state, UPD_TRIAL);
}

static void begin_checks(void) {
    static const struct {
        uint32_t size, capacity;
        bool accepted;
        int state;
    } rows[] = {
        {0, 1000, false, UPD_FAILED},   {1024, 1000, false, UPD_FAILED},
        {999, 1000, false, UPD_FAILED}, {992, 992, true, UPD_STAGING},
        {32, 1000, true, UPD_STAGING},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); ++i) {
        upd_t u;
        upd_init(&u, NULL);
        upd_begin_t b = args(rows[i].size, 60);
        CHECK_EQ(upd_begin(&u, &b, rows[i].capacity), rows[i].accepted);
        CHECK_EQ(u.rec.state, rows[i].state);
        CHECK_EQ(u.rec.rejected_len, rows[i].accepted ? 0 : 32);
        if (!rows[i].accepted)
            CHECK(memcmp(u.rec.rejected, manifest, 32) == 0);
        else
            CHECK(memcmp(u.want_sha256, sha, 32) == 0 && memcmp(u.manifest, manifest, 32) == 0);
    }
}

// digests other than 64 bytes: Failed, no manifest to reject, anything staged before dropped;
// ignored on trial like any begin
static void begin_needs_64_bytes_of_digests(void) {
    static const struct {
        uint32_t len;
        const char *error;
    } rows[] = {{0, "digests are 0 bytes, not 64"},
                {2, "digests are 2 bytes, not 64"},
                {63, "digests are 63 bytes, not 64"},
                {65, "digests are 65 bytes, not 64"}};
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); ++i) {
        upd_t u;
        upd_init(&u, NULL);
        upd_begin_t ok = args(64, 60);
        CHECK(upd_begin(&u, &ok, 1000));
        CHECK(upd_write_ok(&u, 0, 32));
        upd_wrote(&u, 32);
        upd_begin_t b = args(64, 60);
        b.digests_len = rows[i].len;
        CHECK(!upd_begin(&u, &b, 1000));
        CHECK_EQ(u.rec.state, UPD_FAILED);
        CHECK(strcmp(u.rec.error, rows[i].error) == 0);
        CHECK_EQ(u.rec.rejected_len, 0);
        CHECK_EQ(u.staged, 0);
        CHECK(!upd_write_ok(&u, 0, 32));
        CHECK(!upd_commit(&u));
    }
    upd_t u;
    on_trial(&u, 60);
    upd_begin_t b = args(64, 60);
    b.digests_len = 63;
    CHECK(!upd_begin(&u, &b, 1000));
    CHECK_EQ(u.rec.state, UPD_TRIAL);
    CHECK(strcmp(u.rec.error, "") == 0);
}

static void writes_and_commit(void) {
    static const struct {
        uint32_t offset, len;
        bool ok;
    } rows[] = {
        {0, 0, false}, {32, 32, false}, {0, 32, true}, {0, 32, false}, {32, 64, false},
        {32, 32, true},
    };
    upd_t u;
    upd_init(&u, NULL);
    upd_begin_t b = args(64, 60);
    upd_begin(&u, &b, 1000);
    CHECK(!upd_commit(&(upd_t){.rec = {.state = UPD_IDLE}})); // ignored outside Staging
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); ++i) {
        bool ok = upd_write_ok(&u, rows[i].offset, rows[i].len);
        CHECK_EQ(ok, rows[i].ok);
        if (ok)
            upd_wrote(&u, rows[i].len);
    }
    CHECK_EQ(u.staged, 64);
    CHECK(upd_commit(&u));
    uint8_t other[32] = {6};
    CHECK(!upd_verified(&u, other, true, true));
    CHECK_EQ(u.rec.state, UPD_FAILED);
    CHECK(!upd_write_ok(&u, 64, 32)); // nothing is staging now
}

static void trial_clock_and_panics(void) {
    upd_t u;
    on_trial(&u, 10);
    CHECK(!upd_tick(&u, 9));
    CHECK(upd_tick(&u, 1));
    CHECK_EQ(u.rec.deploying, UPD_DEPLOY_PREV);
    CHECK(!upd_tick(&u, 100)); // a restore under way is not started twice
    upd_rolled_back(&u);
    CHECK_EQ(u.rec.state, UPD_ROLLED_BACK);
    CHECK_EQ(u.rec.running.size, 96);
    CHECK(!upd_panicked(&u)); // panics count on trial only

    on_trial(&u, 10);
    CHECK(!upd_panicked(&u));
    CHECK(!upd_panicked(&u));
    CHECK(upd_panicked(&u));
    CHECK_EQ(u.rec.panics, 3);

    on_trial(&u, 10);
    upd_confirm(&u);
    CHECK_EQ(u.rec.state, UPD_IDLE);
    CHECK(!upd_tick(&u, 1000));
}

static void boot_decisions(void) {
    static const struct {
        uint8_t deploying;
        bool prev_valid, program_valid, crash;
        uint8_t panics;
        bool restore;
        int state_after;
    } rows[] = {
        // a deploy of the new image cut by a reset: back to the previous one
        {UPD_DEPLOY_NEW, true, false, false, 0, true, UPD_ROLLED_BACK},
        // a restore cut by a reset is done again, to the state it was for
        {UPD_DEPLOY_PREV, true, false, false, 0, true, UPD_ROLLED_BACK},
        // nothing to go back to: leave it
        {UPD_DEPLOY_NEW, false, false, false, 0, false, UPD_TRIAL},
        // "*prog" not valid with no deploy on record (cut before the record was saved)
        {UPD_DEPLOY_NONE, true, false, false, 0, true, UPD_ROLLED_BACK},
        {UPD_DEPLOY_NONE, true, true, true, 1, false, UPD_TRIAL},
        {UPD_DEPLOY_NONE, true, true, true, 2, true, UPD_ROLLED_BACK},
        {UPD_DEPLOY_NONE, true, true, false, 2, false, UPD_TRIAL},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); ++i) {
        upd_t u;
        on_trial(&u, 100);
        u.rec.deploying = rows[i].deploying;
        u.rec.after_restore = UPD_ROLLED_BACK;
        u.rec.prev.valid = rows[i].prev_valid;
        u.rec.panics = rows[i].panics;
        upd_t booted;
        upd_init(&booted, &u.rec);
        bool restore = upd_boot(&booted, rows[i].program_valid, rows[i].crash);
        CHECK_EQ(restore, rows[i].restore);
        if (restore)
            upd_rolled_back(&booted);
        CHECK_EQ(booted.rec.state, rows[i].state_after);
    }
}

static void record_survives_only_with_its_magic(void) {
    upd_t u;
    on_trial(&u, 100);
    upd_record_t saved = u.rec;
    upd_init(&u, &saved);
    CHECK_EQ(u.rec.state, UPD_TRIAL);
    saved.magic++;
    upd_init(&u, &saved);
    CHECK_EQ(u.rec.state, UPD_IDLE);
    CHECK_EQ(u.rec.running.valid, 0);
    // staging is RAM only: a reset mid-staging boots Idle
    upd_begin_t b = args(64, 60);
    upd_begin(&u, &b, 1000);
    saved = u.rec;
    upd_init(&u, &saved);
    CHECK_EQ(u.rec.state, UPD_IDLE);
}

static void capacity_replays_first_fit(void) {
    static const struct {
        const char *what;
        fstor_extent_t prog, prev, stage;
        uint32_t running;
        unsigned pages; // capacity in pages of "*prog"
    } rows[] = {
        {"empty partition: stage + prog in 55 usable pages", {0, 0}, {0, 0}, {0, 0}, 0, 27},
        {"14-page program at 0", {0, 14}, {0, 0}, {0, 0}, 14 * 4096 - 128, 14},
        // after one update: stage 14-27, prev 28-41, prog 0-13: the stage is re-prepared in
        // place, the copy replaces prev, the new prog goes back to 0-13
        {"after one update", {0, 14}, {28, 14}, {14, 14}, 14 * 4096 - 128, 14},
        // stage 8-30, the copy back in 4-7, the new prog after the stage at 31-53 (off <= 55 - 23)
        {"a small program leaves room", {0, 4}, {4, 4}, {8, 4}, 4 * 4096 - 128, 23},
        {"one page short of everything", {0, 28}, {0, 0}, {0, 0}, 28 * 4096 - 128, 0},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); ++i) {
        fstor_layout_t l = {.data_pages = 56,
                            .page_size = 4096,
                            .prog = rows[i].prog,
                            .prev = rows[i].prev,
                            .stage = rows[i].stage,
                            .running_bytes = rows[i].running};
        uint32_t want = rows[i].pages ? rows[i].pages * 4096 - 128 : 0;
        uint32_t got = fstor_capacity(&l);
        if (got != want)
            fprintf(stderr, "  %s: %lu, expected %lu\n", rows[i].what, (unsigned long)got,
                    (unsigned long)want);
        CHECK_EQ(got, want);
    }
}

TESTS(updater_sm_tests) = {
    {"updater sm: begin checks", begin_checks},
    {"updater sm: begin needs 64 bytes of digests", begin_needs_64_bytes_of_digests},
    {"updater sm: writes and commit", writes_and_commit},
    {"updater sm: trial clock and panics", trial_clock_and_panics},
    {"updater sm: boot decisions", boot_decisions},
    {"updater sm: record survives only with its magic", record_survives_only_with_its_magic},
    {"updater sm: capacity replays first fit", capacity_replays_first_fit},
    TEST_END,
};
