// The Picokubelet Updater through its Jacdac packets, on the fake fstor and the fake manager:
// commands packed as the spec's pack formats say, registers read as a client reads them.
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "devicescript.h"
#include "fake.h"
#include "jd_picokubelet_services.h"
#include "picokubelet_updater.h"
#include "services/interfaces/jd_flash.h"
#include "test.h"

#define FACTORY_SIZE (14 * 4096 - 128) // fills 14 pages with the runtime's header
#define MAX_IMG (20 * 4096)

static uint8_t factory[FACTORY_SIZE];
static uint8_t img_a[MAX_IMG], img_b[MAX_IMG];
static const uint8_t manifest_a[32] = {0xaa, 1, 2, 3}, manifest_b[32] = {0xbb, 9, 8, 7};

// a bytecode image as devs_verify sees it: "DevS" magic words, version 2.16.0, then filler
static void make_image(uint8_t *img, uint32_t size, unsigned seed) {
    static const uint8_t head[12] = {0x44, 0x65, 0x76, 0x53, 0x0a, 0x6e,
                                     0x29, 0xf1, 0x00, 0x00, 16,   2};
    memcpy(img, head, sizeof(head));
    for (uint32_t i = sizeof(head); i < size; ++i)
        img[i] = (uint8_t)((i * 2654435761u + seed) >> 13);
}

// what `devs deploy` does: the manager's own deploy path, no updater involved
static void tools_deploy(const uint8_t *img, uint32_t size) {
    CHECK_EQ(devsmgr_deploy_start(size), 0);
    for (uint32_t off = 0; off < size; off += 224)
        CHECK_EQ(devsmgr_deploy_write(img + off, size - off < 224 ? size - off : 224), 0);
    CHECK_EQ(devsmgr_deploy_write(NULL, 0), 0);
}

static void boot(int reset_reason) {
    fake.reset_reason = reset_reason;
    fake_devsmgr_boot();
    now_ms = 700;
    picokubelet_updater_init();
}

static void start(void) {
    fake_flash_format();
    make_image(factory, FACTORY_SIZE, 1);
    tools_deploy(factory, FACTORY_SIZE);
    boot(1); // ESP_RST_POWERON
}

static void reboot(int reset_reason) {
    fake_free_service();
    boot(reset_reason);
}

static void send(unsigned cmd, const void *data, unsigned size) {
    struct {
        jd_packet_t hdr;
        uint8_t data[240];
    } pkt;
    memset(&pkt, 0, sizeof(pkt));
    pkt.hdr.service_index = 1;
    pkt.hdr.service_size = (uint8_t)size;
    pkt.hdr.service_command = (uint16_t)cmd;
    if (size)
        memcpy(pkt.data, data, size);
    fake.n_sent = 0;
    fake.service_vt->handle_pkt(fake.service, &pkt.hdr);
}

static fake_packet_t *get(unsigned reg) {
    send(JD_GET(reg), NULL, 0);
    CHECK_EQ(fake.n_sent, 1);
    CHECK_EQ(fake.sent[0].cmd, JD_GET(reg));
    return &fake.sent[0];
}

static uint32_t get_u32(unsigned reg) {
    fake_packet_t *p = get(reg);
    CHECK_EQ(p->size, 4);
    uint32_t v;
    memcpy(&v, p->data, 4);
    return v;
}

static int state(void) {
    fake_packet_t *p = get(JD_PICOKUBELET_UPDATER_REG_STATE);
    CHECK_EQ(p->size, 1);
    return p->data[0];
}

static bool error_is(const char *want) {
    fake_packet_t *p = get(JD_PICOKUBELET_UPDATER_REG_ERROR);
    bool ok = p->size == strlen(want) && memcmp(p->data, want, p->size) == 0;
    if (!ok)
        fprintf(stderr, "  error register: \"%.*s\"\n", (int)p->size, (const char *)p->data);
    return ok;
}

static bool digest_is(unsigned reg, const uint8_t *want) {
    fake_packet_t *p = get(reg);
    return want ? p->size == 32 && memcmp(p->data, want, 32) == 0 : p->size == 0;
}

// begin ("u32 u16 b"): size, trial_seconds, then digests of any length
static void begin_raw(uint32_t size, uint16_t t, const uint8_t *digests, unsigned len) {
    uint8_t b[240];
    memcpy(b, &size, 4);
    memcpy(b + 4, &t, 2);
    memcpy(b + 6, digests, len);
    send(JD_PICOKUBELET_UPDATER_CMD_BEGIN, b, 6 + len);
}

// begin as the spec has it: digests are the image's SHA-256, then the manifest digest (70 bytes)
static void begin(uint32_t size, const uint8_t sha[32], const uint8_t manifest[32], uint16_t t) {
    uint8_t d[64];
    memcpy(d, sha, 32);
    memcpy(d + 32, manifest, 32);
    begin_raw(size, t, d, 64);
}

// write: offset u32, then the bytes
static void write_at(uint32_t offset, const uint8_t *data, unsigned len) {
    uint8_t b[240];
    memcpy(b, &offset, 4);
    memcpy(b + 4, data, len);
    send(JD_PICOKUBELET_UPDATER_CMD_WRITE, b, 4 + len);
}

static void tick(uint32_t ms) {
    now_ms += ms;
    fake.service_vt->process(fake.service);
}

static void stage(const uint8_t *img, uint32_t size, const uint8_t *manifest, uint16_t trial) {
    uint8_t sha[32];
    fake_sha256(img, size, sha);
    begin(size, sha, manifest, trial);
    for (uint32_t off = 0; off < size; off += 224)
        write_at(off, img + off, size - off < 224 ? size - off : 224);
    CHECK_EQ(get_u32(JD_PICOKUBELET_UPDATER_REG_STAGED), size);
}

static void commit(void) {
    send(JD_PICOKUBELET_UPDATER_CMD_COMMIT, NULL, 0);
    tick(10);
}

static void install(const uint8_t *img, uint32_t size, const uint8_t *manifest, uint16_t trial) {
    stage(img, size, manifest, trial);
    commit();
    CHECK_EQ(state(), JD_PICOKUBELET_UPDATER_STATE_TRIAL);
}

static bool program_is(const uint8_t *img, uint32_t size) {
    uint8_t want[32], got[32];
    fake_sha256(img, size, want);
    return fake.program_running && devsmgr_get_hash(got) == 0 && memcmp(want, got, 32) == 0;
}

static bool prev_is(const uint8_t *img, uint32_t size) {
    unsigned n = 0;
    const uint8_t *p = jd_settings_get_large("*pkprev", &n);
    return p && n == size && memcmp(p, img, size) == 0;
}

static void registers_at_boot(void) {
    start();
    CHECK_EQ(fake.service_vt->service_class, 0x1d4e8b17);
    // 56 data pages, the factory program in 0-13: a 14-page stage at 14, its copy after it,
    // and the new program back in 0-13; a 15-page image finds no 15 free pages for "*prog"
    CHECK_EQ(get_u32(JD_PICOKUBELET_UPDATER_REG_CAPACITY), 14 * 4096 - 128);
    CHECK_EQ(get_u32(JD_PICOKUBELET_UPDATER_REG_STAGED), 0);
    CHECK_EQ(state(), JD_PICOKUBELET_UPDATER_STATE_IDLE);
    CHECK(digest_is(JD_PICOKUBELET_UPDATER_REG_RUNNING_DIGEST, NULL)); // a factory image
    CHECK(digest_is(JD_PICOKUBELET_UPDATER_REG_REJECTED_DIGEST, NULL));
    CHECK(error_is(""));
    fake_packet_t *v = get(JD_PICOKUBELET_UPDATER_REG_RUNTIME_VERSION);
    CHECK_BYTES(v->data, v->size, 'v', '2', '.', '1', '6', '.', '0');
    send(JD_GET(0x187), NULL, 0);
    CHECK_EQ(fake.sent[0].cmd, JD_CMD_COMMAND_NOT_IMPLEMENTED);
    fake_free_service();
}

static void begin_refused_for_size_0_and_over_capacity(void) {
    static const struct {
        uint32_t size;
        const char *error;
    } rows[] = {
        {0, "size is 0"},
        {14 * 4096 - 96, "57248 bytes exceed the capacity of 57216"},
        {1000, "size 1000 is not a multiple of 32"},
    };
    start();
    uint8_t sha[32] = {0};
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); ++i) {
        begin(rows[i].size, sha, manifest_a, 60);
        CHECK_EQ(state(), JD_PICOKUBELET_UPDATER_STATE_FAILED);
        CHECK(error_is(rows[i].error));
        CHECK(digest_is(JD_PICOKUBELET_UPDATER_REG_REJECTED_DIGEST, manifest_a));
        CHECK_EQ(get_u32(JD_PICOKUBELET_UPDATER_REG_STAGED), 0);
    }
    // the largest image that fits is accepted, and clears the last failure
    begin(14 * 4096 - 128, sha, manifest_a, 60);
    CHECK_EQ(state(), JD_PICOKUBELET_UPDATER_STATE_STAGING);
    CHECK(error_is(""));
    CHECK(digest_is(JD_PICOKUBELET_UPDATER_REG_REJECTED_DIGEST, NULL));
    CHECK(program_is(factory, FACTORY_SIZE));
    fake_free_service();
}

static void writes_at_the_wrong_offset_are_ignored(void) {
    start();
    make_image(img_a, 512, 2);
    uint8_t sha[32];
    fake_sha256(img_a, 512, sha);
    begin(512, sha, manifest_a, 60);
    write_at(0, img_a, 224);
    CHECK_EQ(get_u32(JD_PICOKUBELET_UPDATER_REG_STAGED), 224);
    write_at(0, img_a, 224); // repeated
    write_at(448, img_a + 448, 64); // ahead of staged
    CHECK_EQ(get_u32(JD_PICOKUBELET_UPDATER_REG_STAGED), 224);
    write_at(224, img_a + 224, 224);
    write_at(448, img_a + 448, 96); // past size
    CHECK_EQ(get_u32(JD_PICOKUBELET_UPDATER_REG_STAGED), 448);
    write_at(448, img_a + 448, 64);
    CHECK_EQ(get_u32(JD_PICOKUBELET_UPDATER_REG_STAGED), 512);
    CHECK_EQ(fake_flash_writes_to("*pkstage"), 3);
    commit();
    CHECK_EQ(state(), JD_PICOKUBELET_UPDATER_STATE_TRIAL);
    CHECK(program_is(img_a, 512));
    fake_free_service();
}

static void commit_with_a_digest_mismatch_fails(void) {
    start();
    make_image(img_a, 4096, 2);
    uint8_t wrong[32] = {1};
    begin(4096, wrong, manifest_a, 60);
    for (uint32_t off = 0; off < 4096; off += 224)
        write_at(off, img_a + off, 4096 - off < 224 ? 4096 - off : 224);
    commit();
    CHECK_EQ(state(), JD_PICOKUBELET_UPDATER_STATE_FAILED);
    CHECK(error_is("SHA-256 of the staged bytes does not match"));
    CHECK(digest_is(JD_PICOKUBELET_UPDATER_REG_REJECTED_DIGEST, manifest_a));
    CHECK_EQ(fake.deploys_started, 1); // the factory deploy only
    CHECK(program_is(factory, FACTORY_SIZE));
    fake_free_service();
}

static void commit_short_or_refused_by_the_runtime_fails(void) {
    start();
    make_image(img_a, 4096, 2);
    uint8_t sha[32];
    fake_sha256(img_a, 4096, sha);
    begin(4096, sha, manifest_a, 60);
    write_at(0, img_a, 224);
    commit();
    CHECK_EQ(state(), JD_PICOKUBELET_UPDATER_STATE_FAILED);
    CHECK(error_is("only 224 of 4096 bytes staged"));
    // a newer minor version than the runtime's
    img_a[10] = 17;
    stage(img_a, 4096, manifest_a, 60);
    commit();
    CHECK(error_is("the runtime refuses the image (another bytecode version?)"));
    CHECK_EQ(fake.deploys_started, 1);
    fake_free_service();
}

static void commit_deploys_and_keeps_the_previous_image(void) {
    start();
    make_image(img_a, 30000 - 16, 2);
    install(img_a, 30000 - 16, manifest_a, 60);
    CHECK(program_is(img_a, 30000 - 16));
    CHECK(prev_is(factory, FACTORY_SIZE));
    CHECK(digest_is(JD_PICOKUBELET_UPDATER_REG_RUNNING_DIGEST, manifest_a));
    CHECK(digest_is(JD_PICOKUBELET_UPDATER_REG_REJECTED_DIGEST, NULL));
    CHECK_EQ(get_u32(JD_PICOKUBELET_UPDATER_REG_STAGED), 30000 - 16);
    // the program on trial must confirm before it stages another
    begin(4096, img_a, manifest_b, 60);
    CHECK_EQ(state(), JD_PICOKUBELET_UPDATER_STATE_TRIAL);
    CHECK_EQ(get_u32(JD_PICOKUBELET_UPDATER_REG_STAGED), 30000 - 16);
    send(JD_PICOKUBELET_UPDATER_CMD_ABORT, NULL, 0);
    CHECK_EQ(state(), JD_PICOKUBELET_UPDATER_STATE_TRIAL);
    send(JD_PICOKUBELET_UPDATER_CMD_CONFIRM, NULL, 0);
    CHECK_EQ(state(), JD_PICOKUBELET_UPDATER_STATE_IDLE);
    tick(120000); // no trial any more: nothing rolls back
    CHECK(program_is(img_a, 30000 - 16));
    reboot(3); // ESP_RST_SW
    CHECK_EQ(state(), JD_PICOKUBELET_UPDATER_STATE_IDLE);
    CHECK(digest_is(JD_PICOKUBELET_UPDATER_REG_RUNNING_DIGEST, manifest_a));
    fake_free_service();
}

static void trial_timeout_redeploys_the_previous_image(void) {
    start();
    make_image(img_a, 8192, 2);
    install(img_a, 8192, manifest_a, 30);
    tick(29000);
    CHECK_EQ(state(), JD_PICOKUBELET_UPDATER_STATE_TRIAL);
    tick(1000);
    CHECK_EQ(state(), JD_PICOKUBELET_UPDATER_STATE_ROLLED_BACK);
    CHECK(program_is(factory, FACTORY_SIZE));
    CHECK(error_is("no confirm within 30 s of trial"));
    CHECK(digest_is(JD_PICOKUBELET_UPDATER_REG_REJECTED_DIGEST, manifest_a));
    CHECK(digest_is(JD_PICOKUBELET_UPDATER_REG_RUNNING_DIGEST, NULL));
    // the restored program reports it, then the state is Idle and the reason stays
    send(JD_PICOKUBELET_UPDATER_CMD_CONFIRM, NULL, 0);
    CHECK_EQ(state(), JD_PICOKUBELET_UPDATER_STATE_IDLE);
    CHECK(error_is("no confirm within 30 s of trial"));
    fake_free_service();
}

static void a_reset_does_not_end_a_trial(void) {
    start();
    make_image(img_a, 8192, 2);
    install(img_a, 8192, manifest_a, 40);
    tick(31000); // saved when the clock passed 30 s: 31 s of 40 are gone
    reboot(1);
    CHECK_EQ(state(), JD_PICOKUBELET_UPDATER_STATE_TRIAL);
    CHECK(program_is(img_a, 8192));
    tick(8000);
    CHECK_EQ(state(), JD_PICOKUBELET_UPDATER_STATE_TRIAL);
    tick(1000);
    CHECK_EQ(state(), JD_PICOKUBELET_UPDATER_STATE_ROLLED_BACK);
    CHECK(program_is(factory, FACTORY_SIZE));
    fake_free_service();
}

static void three_panics_roll_back(void) {
    start();
    make_image(img_a, 8192, 2);
    install(img_a, 8192, manifest_a, 600);
    devs_panic_handler(60005); // unhandled exception
    devs_panic_handler(0);     // a restart the program asked for
    devs_panic_handler(DEVS_PANIC_REBOOT);
    devs_panic_handler(60004); // out of memory
    tick(10);
    CHECK_EQ(state(), JD_PICOKUBELET_UPDATER_STATE_TRIAL);
    devs_panic_handler(60005);
    tick(10);
    CHECK_EQ(state(), JD_PICOKUBELET_UPDATER_STATE_ROLLED_BACK);
    CHECK(error_is("the program panicked 3 times on trial"));
    CHECK(program_is(factory, FACTORY_SIZE));
    fake_free_service();
}

static void a_crash_reset_counts_as_a_panic(void) {
    start();
    make_image(img_a, 8192, 2);
    install(img_a, 8192, manifest_a, 600);
    devs_panic_handler(60005);
    tick(10);
    reboot(4); // ESP_RST_PANIC
    CHECK_EQ(state(), JD_PICOKUBELET_UPDATER_STATE_TRIAL);
    reboot(6); // ESP_RST_TASK_WDT
    CHECK_EQ(state(), JD_PICOKUBELET_UPDATER_STATE_ROLLED_BACK);
    CHECK(program_is(factory, FACTORY_SIZE));
    fake_free_service();
}

static void resets_that_count_on_trial(void) {
    static const struct {
        int reason;
        bool counts;
    } rows[] = {
        {1, false},      // ESP_RST_POWERON
        {3, false},      // ESP_RST_SW
        {4, true},       // ESP_RST_PANIC
        {5, true},       // ESP_RST_INT_WDT
        {7, true},       // ESP_RST_WDT
        {8, true},       // ESP_RST_DEEPSLEEP: devicescript-esp32's restart after a C panic
        {0x11F2, false}, // devicescript-esp32's hint for a reboot into the UF2 bootloader
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); ++i) {
        start();
        make_image(img_a, 8192, 2);
        install(img_a, 8192, manifest_a, 600);
        devs_panic_handler(60005);
        devs_panic_handler(60005);
        tick(10);
        reboot(rows[i].reason);
        CHECK_EQ(state(), rows[i].counts ? JD_PICOKUBELET_UPDATER_STATE_ROLLED_BACK
                                         : JD_PICOKUBELET_UPDATER_STATE_TRIAL);
        fake_free_service();
    }
}

// the child loses power at the n-th piece the runtime's deploy writes; the parent boots from
// the flash it left
static void power_cut_during_commit(int nth_write) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        fake.power_cut_after_writes = fake.deploy_writes + nth_write;
        commit();
        _exit(1); // the cut never came
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    reboot(1);
}

static void a_reset_mid_deploy_brings_the_previous_image_back(void) {
    start();
    make_image(img_a, 8192, 2);
    stage(img_a, 8192, manifest_a, 60);
    power_cut_during_commit(3);
    CHECK_EQ(state(), JD_PICOKUBELET_UPDATER_STATE_ROLLED_BACK);
    CHECK(error_is("the device reset during the deploy"));
    CHECK(digest_is(JD_PICOKUBELET_UPDATER_REG_REJECTED_DIGEST, manifest_a));
    CHECK(program_is(factory, FACTORY_SIZE));
    fake_free_service();
}

static void a_reset_mid_rollback_finishes_it(void) {
    start();
    make_image(img_a, 8192, 2);
    install(img_a, 8192, manifest_a, 5);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        fake.power_cut_after_writes = fake.deploy_writes + 10;
        tick(5000);
        _exit(1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    reboot(1);
    CHECK_EQ(state(), JD_PICOKUBELET_UPDATER_STATE_ROLLED_BACK);
    CHECK(error_is("no confirm within 5 s of trial"));
    CHECK(program_is(factory, FACTORY_SIZE));
    fake_free_service();
}

static void abort_drops_the_stage(void) {
    start();
    make_image(img_a, 4096, 2);
    uint8_t sha[32];
    fake_sha256(img_a, 4096, sha);
    begin(4096, sha, manifest_a, 60);
    write_at(0, img_a, 224);
    send(JD_PICOKUBELET_UPDATER_CMD_ABORT, NULL, 0);
    CHECK_EQ(state(), JD_PICOKUBELET_UPDATER_STATE_IDLE);
    CHECK_EQ(get_u32(JD_PICOKUBELET_UPDATER_REG_STAGED), 0);
    write_at(224, img_a + 224, 224);
    commit();
    CHECK_EQ(state(), JD_PICOKUBELET_UPDATER_STATE_IDLE);
    CHECK_EQ(fake.deploys_started, 1);
    fake_free_service();
}

static void a_second_update_rolls_back_to_the_first(void) {
    start();
    make_image(img_a, 8192, 2);
    make_image(img_b, 12288, 3);
    install(img_a, 8192, manifest_a, 60);
    send(JD_PICOKUBELET_UPDATER_CMD_CONFIRM, NULL, 0);
    install(img_b, 12288, manifest_b, 60);
    CHECK(prev_is(img_a, 8192));
    CHECK(digest_is(JD_PICOKUBELET_UPDATER_REG_RUNNING_DIGEST, manifest_b));
    tick(60000);
    CHECK_EQ(state(), JD_PICOKUBELET_UPDATER_STATE_ROLLED_BACK);
    CHECK(program_is(img_a, 8192));
    CHECK(digest_is(JD_PICOKUBELET_UPDATER_REG_RUNNING_DIGEST, manifest_a));
    CHECK(digest_is(JD_PICOKUBELET_UPDATER_REG_REJECTED_DIGEST, manifest_b));
    fake_free_service();
}

static void running_digest_is_empty_after_another_deploy(void) {
    start();
    make_image(img_a, 8192, 2);
    install(img_a, 8192, manifest_a, 60);
    send(JD_PICOKUBELET_UPDATER_CMD_CONFIRM, NULL, 0);
    make_image(img_b, 4096, 3);
    tools_deploy(img_b, 4096);
    CHECK(digest_is(JD_PICOKUBELET_UPDATER_REG_RUNNING_DIGEST, NULL));
    fake_free_service();
}

static void no_contiguous_room_fails_begin(void) {
    start();
    // a large setting the capacity arithmetic does not know of, in the middle of the free pages
    CHECK(jd_settings_prep_large("*other", 30 * 4096) != NULL);
    uint8_t sha[32] = {0};
    begin(14 * 4096 - 128, sha, manifest_a, 60);
    CHECK_EQ(state(), JD_PICOKUBELET_UPDATER_STATE_FAILED);
    CHECK(error_is("no contiguous room in flash for this image"));
    CHECK(program_is(factory, FACTORY_SIZE));
    fake_free_service();
}

// exactly one packet went out since the last send() or fake.n_sent = 0: the report of reg,
// as a get of it would answer, with the value want (little-endian, size bytes)
static bool reported(unsigned reg, uint32_t want, unsigned size) {
    bool ok = fake.n_sent == 1 && fake.sent[0].service_index == 1 &&
              fake.sent[0].cmd == JD_GET(reg) && fake.sent[0].size == size &&
              memcmp(fake.sent[0].data, &want, size) == 0;
    if (!ok)
        fprintf(stderr, "  %d packets, the first 0x%x of %u bytes\n", fake.n_sent,
                fake.sent[0].cmd, fake.sent[0].size);
    return ok;
}

static bool staged_reported(uint32_t staged) {
    return reported(JD_PICOKUBELET_UPDATER_REG_STAGED, staged, 4);
}

// digests of 63 or 65 bytes (or none, or the 2 of DeviceScript 2.16's 8-byte packet): Failed,
// error says why, no rejected_digest, and what was staged before is dropped; ignored on trial
static void begin_refused_unless_digests_are_64_bytes(void) {
    static const struct {
        unsigned len;
        const char *error;
    } rows[] = {
        {63, "digests are 63 bytes, not 64"},
        {65, "digests are 65 bytes, not 64"},
        {2, "digests are 2 bytes, not 64"},
        {0, "digests are 0 bytes, not 64"},
    };
    start();
    make_image(img_a, 4096, 2);
    uint8_t d[65];
    fake_sha256(img_a, 4096, d);
    memcpy(d + 32, manifest_a, 32);
    d[64] = 0xee;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); ++i) {
        begin_raw(4096, 60, d, 64);
        write_at(0, img_a, 224);
        CHECK_EQ(get_u32(JD_PICOKUBELET_UPDATER_REG_STAGED), 224);
        fake.n_sent = 0;
        begin_raw(4096, 60, d, rows[i].len);
        CHECK_EQ(fake.n_sent, 2); // staged back to 0, state Failed
        CHECK_EQ(fake.sent[0].cmd, JD_GET(JD_PICOKUBELET_UPDATER_REG_STAGED));
        CHECK_BYTES(fake.sent[0].data, fake.sent[0].size, 0, 0, 0, 0);
        CHECK_EQ(fake.sent[1].cmd, JD_GET(JD_PICOKUBELET_UPDATER_REG_STATE));
        CHECK_BYTES(fake.sent[1].data, fake.sent[1].size, JD_PICOKUBELET_UPDATER_STATE_FAILED);
        CHECK_EQ(state(), JD_PICOKUBELET_UPDATER_STATE_FAILED);
        CHECK(error_is(rows[i].error));
        CHECK(digest_is(JD_PICOKUBELET_UPDATER_REG_REJECTED_DIGEST, NULL));
        CHECK_EQ(get_u32(JD_PICOKUBELET_UPDATER_REG_STAGED), 0);
        write_at(0, img_a, 224); // not staging
        CHECK_EQ(get_u32(JD_PICOKUBELET_UPDATER_REG_STAGED), 0);
    }
    // shorter than size and trial_seconds: no digests either
    send(JD_PICOKUBELET_UPDATER_CMD_BEGIN, d, 3);
    CHECK(error_is("digests are 0 bytes, not 64"));
    // exactly 64 bytes: the SHA-256 and manifest digest in that order, the whole image installs
    install(img_a, 4096, manifest_a, 60);
    CHECK(program_is(img_a, 4096));
    CHECK(digest_is(JD_PICOKUBELET_UPDATER_REG_RUNNING_DIGEST, manifest_a));
    CHECK(error_is(""));
    begin_raw(4096, 60, d, 63); // ignored on trial
    CHECK_EQ(state(), JD_PICOKUBELET_UPDATER_STATE_TRIAL);
    CHECK(error_is(""));
    fake_free_service();
}

static bool state_reported(uint8_t s) {
    return reported(JD_PICOKUBELET_UPDATER_REG_STATE, s, 1);
}

static void process_only(uint32_t ms) {
    fake.n_sent = 0;
    tick(ms);
}

static void changes_of_staged_and_state_are_reported(void) {
    start();
    make_image(img_a, 512, 2);
    uint8_t sha[32];
    fake_sha256(img_a, 512, sha);
    process_only(5000); // nothing changes without an update
    CHECK_EQ(fake.n_sent, 0);
    begin(512, sha, manifest_a, 60); // staged stays 0
    CHECK(state_reported(JD_PICOKUBELET_UPDATER_STATE_STAGING));
    write_at(0, img_a, 224);
    CHECK(staged_reported(224));
    // what the report said is what a get answers
    CHECK_EQ(get_u32(JD_PICOKUBELET_UPDATER_REG_STAGED), 224);
    write_at(0, img_a, 224); // repeated: ignored
    CHECK_EQ(fake.n_sent, 0);
    write_at(448, img_a + 448, 64); // ahead of staged: ignored
    CHECK_EQ(fake.n_sent, 0);
    write_at(224, img_a + 224, 224);
    CHECK(staged_reported(448));
    write_at(448, img_a + 448, 64);
    CHECK(staged_reported(512));
    process_only(1000);
    CHECK_EQ(fake.n_sent, 0);
    // commit acts in process(): the packet itself changes nothing yet
    send(JD_PICOKUBELET_UPDATER_CMD_COMMIT, NULL, 0);
    CHECK_EQ(fake.n_sent, 0);
    process_only(10);
    CHECK(state_reported(JD_PICOKUBELET_UPDATER_STATE_TRIAL));
    process_only(10);
    CHECK_EQ(fake.n_sent, 0);
    begin(512, sha, manifest_b, 60); // ignored on trial
    CHECK_EQ(fake.n_sent, 0);
    send(JD_PICOKUBELET_UPDATER_CMD_ABORT, NULL, 0); // ignored on trial
    CHECK_EQ(fake.n_sent, 0);
    send(JD_PICOKUBELET_UPDATER_CMD_CONFIRM, NULL, 0);
    CHECK(state_reported(JD_PICOKUBELET_UPDATER_STATE_IDLE));
    send(JD_PICOKUBELET_UPDATER_CMD_CONFIRM, NULL, 0); // ignored when Idle
    CHECK_EQ(fake.n_sent, 0);
    process_only(120000);
    CHECK_EQ(fake.n_sent, 0);
    fake_free_service();
}

static void failures_rollbacks_and_abort_are_reported(void) {
    start();
    uint8_t sha[32] = {0};
    begin(0, sha, manifest_a, 60);
    CHECK(state_reported(JD_PICOKUBELET_UPDATER_STATE_FAILED));
    begin(1000, sha, manifest_a, 60); // Failed again, another error: state did not change
    CHECK_EQ(fake.n_sent, 0);
    // abort drops staged bytes and ends Staging: one report of each, staged first
    make_image(img_a, 4096, 2);
    fake_sha256(img_a, 4096, sha);
    begin(4096, sha, manifest_a, 5);
    CHECK(state_reported(JD_PICOKUBELET_UPDATER_STATE_STAGING));
    write_at(0, img_a, 224);
    send(JD_PICOKUBELET_UPDATER_CMD_ABORT, NULL, 0);
    CHECK_EQ(fake.n_sent, 2);
    CHECK_EQ(fake.sent[0].cmd, JD_GET(JD_PICOKUBELET_UPDATER_REG_STAGED));
    CHECK_BYTES(fake.sent[0].data, fake.sent[0].size, 0, 0, 0, 0);
    CHECK_EQ(fake.sent[1].cmd, JD_GET(JD_PICOKUBELET_UPDATER_REG_STATE));
    CHECK_BYTES(fake.sent[1].data, fake.sent[1].size, JD_PICOKUBELET_UPDATER_STATE_IDLE);
    // a trial that times out: the rollback in process() is reported once
    install(img_a, 4096, manifest_a, 5);
    process_only(4000);
    CHECK_EQ(fake.n_sent, 0);
    process_only(1000);
    CHECK(state_reported(JD_PICOKUBELET_UPDATER_STATE_ROLLED_BACK));
    process_only(1000);
    CHECK_EQ(fake.n_sent, 0);
    // a commit with fewer bytes than announced fails at once, one with a wrong digest in process()
    send(JD_PICOKUBELET_UPDATER_CMD_CONFIRM, NULL, 0);
    begin(4096, sha, manifest_a, 5);
    write_at(0, img_a, 224);
    send(JD_PICOKUBELET_UPDATER_CMD_COMMIT, NULL, 0);
    CHECK(state_reported(JD_PICOKUBELET_UPDATER_STATE_FAILED));
    process_only(10);
    CHECK_EQ(fake.n_sent, 0);
    uint8_t wrong[32] = {1};
    begin(4096, wrong, manifest_a, 5);
    for (uint32_t off = 0; off < 4096; off += 224)
        write_at(off, img_a + off, 4096 - off < 224 ? 4096 - off : 224);
    send(JD_PICOKUBELET_UPDATER_CMD_COMMIT, NULL, 0);
    CHECK_EQ(fake.n_sent, 0);
    process_only(10);
    CHECK(state_reported(JD_PICOKUBELET_UPDATER_STATE_FAILED));
    // three panics on trial
    install(img_a, 4096, manifest_a, 600);
    devs_panic_handler(60005);
    devs_panic_handler(60005);
    process_only(10);
    CHECK_EQ(fake.n_sent, 0);
    devs_panic_handler(60005);
    process_only(10);
    CHECK(state_reported(JD_PICOKUBELET_UPDATER_STATE_ROLLED_BACK));
    fake_free_service();
}

static void a_boot_sends_no_report(void) {
    start();
    make_image(img_a, 8192, 2);
    install(img_a, 8192, manifest_a, 600);
    fake.n_sent = 0;
    reboot(4); // ESP_RST_PANIC: counts, 1 of 3
    process_only(10);
    CHECK_EQ(fake.n_sent, 0);
    CHECK_EQ(state(), JD_PICOKUBELET_UPDATER_STATE_TRIAL);
    fake_free_service();
}

// the fake's SHA-256 against FIPS 180-2's examples (one block, two blocks)
static void fake_sha256_matches_the_standard(void) {
    uint8_t h[32];
    fake_sha256("abc", 3, h);
    CHECK_BYTES(h, 32, 0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde,
                0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4,
                0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad);
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    fake_sha256(two, (unsigned)strlen(two), h);
    CHECK_BYTES(h, 32, 0x24, 0x8d, 0x6a, 0x61, 0xd2, 0x06, 0x38, 0xb8, 0xe5, 0xc0, 0x26, 0x93,
                0x0c, 0x3e, 0x60, 0x39, 0xa3, 0x3c, 0xe4, 0x59, 0x64, 0xff, 0x21, 0x67, 0xf6,
                0xec, 0xed, 0xd4, 0x19, 0xdb, 0x06, 0xc1);
}

TESTS(updater_tests) = {
    {"updater: the fake's SHA-256 matches FIPS 180-2", fake_sha256_matches_the_standard},
    {"updater: registers at boot", registers_at_boot},
    {"updater: begin refused for size 0, over capacity, unaligned",
     begin_refused_for_size_0_and_over_capacity},
    {"updater: begin refused unless digests are 64 bytes (63, 65, 2, 0)",
     begin_refused_unless_digests_are_64_bytes},
    {"updater: writes at the wrong offset are ignored", writes_at_the_wrong_offset_are_ignored},
    {"updater: commit with a digest mismatch fails", commit_with_a_digest_mismatch_fails},
    {"updater: commit short or refused by the runtime fails",
     commit_short_or_refused_by_the_runtime_fails},
    {"updater: commit deploys, keeps the previous image, confirm",
     commit_deploys_and_keeps_the_previous_image},
    {"updater: trial timeout redeploys the previous image",
     trial_timeout_redeploys_the_previous_image},
    {"updater: a reset does not end a trial", a_reset_does_not_end_a_trial},
    {"updater: three panics roll back", three_panics_roll_back},
    {"updater: a crash reset counts as a panic", a_crash_reset_counts_as_a_panic},
    {"updater: resets that count on trial", resets_that_count_on_trial},
    {"updater: a reset mid-deploy brings the previous image back",
     a_reset_mid_deploy_brings_the_previous_image_back},
    {"updater: a reset mid-rollback finishes it", a_reset_mid_rollback_finishes_it},
    {"updater: abort drops the stage", abort_drops_the_stage},
    {"updater: a second update rolls back to the first", a_second_update_rolls_back_to_the_first},
    {"updater: running_digest empty after another deploy",
     running_digest_is_empty_after_another_deploy},
    {"updater: no contiguous room fails begin", no_contiguous_room_fails_begin},
    {"updater: a write and a change of state each send one report",
     changes_of_staged_and_state_are_reported},
    {"updater: failures, rollbacks and abort are reported",
     failures_rollbacks_and_abort_are_reported},
    {"updater: a boot sends no report", a_boot_sends_no_report},
    TEST_END,
};
