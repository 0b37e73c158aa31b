// Images move flash to flash through a small RAM buffer: esp_flash_write is not handed a source
// inside the mapped flash it is writing, and the 64 KB GC heap never sees an image.
#include "updater_store.h"

#include <string.h>

#include "devicescript.h"
#include "fstor_space.h"
#include "jd_protocol.h"
#include "services/interfaces/jd_flash.h"

// 224 = seven 32-byte words: devsmgr_deploy_write takes multiples of 32 below a flash page
#define PIECE 224
// hashing reads the mapped flash directly; 1 KB at a time keeps each read short
#define HASH_PIECE 1024
// devsmgr.c's program header: magic0, size, magic1, hash, reserved words; the image follows
#define PROG_SIZE_OFFSET 4

static uint8_t piece[PIECE];

bool store_load_record(upd_record_t *rec) {
    return jd_settings_get_bin(STORE_KEY_RECORD, rec, sizeof(*rec)) == (int)sizeof(*rec);
}

void store_save_record(const upd_record_t *rec) {
    jd_settings_set_bin(STORE_KEY_RECORD, rec, sizeof(*rec));
}

static void sha256_of(const uint8_t *p, uint32_t size, uint8_t out[UPD_DIGEST]) {
    jd_sha256_setup();
    for (uint32_t off = 0; off < size; off += HASH_PIECE) {
        uint32_t n = size - off < HASH_PIECE ? size - off : HASH_PIECE;
        jd_sha256_update(p + off, n);
    }
    jd_sha256_finish(out);
}

static const uint8_t *running_bytes(uint32_t *size) {
    unsigned setting = 0;
    const uint8_t *p = jd_settings_get_large("*prog", &setting);
    if (!p || setting < FSTOR_PROG_HEADER)
        return NULL;
    uint32_t n;
    memcpy(&n, p + PROG_SIZE_OFFSET, 4);
    if (n > setting - FSTOR_PROG_HEADER)
        return NULL;
    *size = n;
    return p + FSTOR_PROG_HEADER;
}

bool store_running(upd_image_t *img) {
    memset(img, 0, sizeof(*img));
    // devsmgr_get_hash fails unless both header magics are there: a deploy that completed
    if (devsmgr_get_hash(img->sha256) != 0 || !running_bytes(&img->size))
        return false;
    img->valid = 1;
    return true;
}

static uint8_t *stage(void) {
    return (uint8_t *)jd_settings_get_large(STORE_KEY_STAGE, NULL);
}

bool store_stage_prep(uint32_t size) {
    return jd_settings_prep_large(STORE_KEY_STAGE, size) != NULL;
}

void store_stage_write(uint32_t offset, const void *data, uint32_t len) {
    jd_settings_write_large(stage() + offset, data, len);
    jd_settings_sync_large();
}

void store_stage_sha256(uint32_t size, uint8_t out[UPD_DIGEST]) {
    sha256_of(stage(), size, out);
}

bool store_stage_verifies(uint32_t size) {
    return devs_verify(stage(), size) == 0;
}

bool store_keep_running(upd_image_t *img) {
    if (!store_running(img))
        return false;
    uint32_t size = img->size;
    uint8_t *dst = jd_settings_prep_large(STORE_KEY_PREV, size);
    const uint8_t *src = running_bytes(&size);
    if (!dst || !src)
        return false;
    for (uint32_t off = 0; off < size; off += PIECE) {
        uint32_t n = size - off < PIECE ? size - off : PIECE;
        memcpy(piece, src + off, n);
        jd_settings_write_large(dst + off, piece, n);
    }
    jd_settings_sync_large();
    return store_prev_intact(img);
}

bool store_prev_intact(const upd_image_t *img) {
    unsigned setting = 0;
    const uint8_t *p = jd_settings_get_large(STORE_KEY_PREV, &setting);
    if (!img->valid || !p || setting < img->size)
        return false;
    uint8_t sha[UPD_DIGEST];
    sha256_of(p, img->size, sha);
    return memcmp(sha, img->sha256, UPD_DIGEST) == 0;
}

int store_deploy(const char *key, uint32_t size) {
    const uint8_t *src = jd_settings_get_large(key, NULL);
    if (!src)
        return -10;
    int r = devsmgr_deploy_start(size);
    for (uint32_t off = 0; r == 0 && off < size; off += PIECE) {
        uint32_t n = size - off < PIECE ? size - off : PIECE;
        memcpy(piece, src + off, n);
        r = devsmgr_deploy_write(piece, n);
    }
    return r ? r : devsmgr_deploy_write(NULL, 0);
}

// jd_fstor.c: max(JD_FSTOR_HEADER_PAGES, pages / 16) header pages, at most 0xf0, two copies
static unsigned header_pages(unsigned total_pages) {
    unsigned h = total_pages / 16;
    if (h < JD_FSTOR_HEADER_PAGES)
        h = JD_FSTOR_HEADER_PAGES;
    return h > 0xf0 ? 0xf0 : h;
}

static fstor_extent_t extent(const char *key, unsigned data_off) {
    unsigned size = 0;
    const uint8_t *p = jd_settings_get_large(key, &size);
    if (!p)
        return (fstor_extent_t){0, 0};
    unsigned page = (unsigned)(((uintptr_t)p - (uintptr_t)JD_FSTOR_BASE_ADDR) / JD_FLASH_PAGE_SIZE);
    unsigned pages = size ? (size + JD_FLASH_PAGE_SIZE - 1) / JD_FLASH_PAGE_SIZE : 1;
    return (fstor_extent_t){(uint16_t)(page - data_off), (uint16_t)pages};
}

static fstor_layout_t layout(void) {
    unsigned total = (unsigned)(JD_FSTOR_TOTAL_SIZE / JD_FLASH_PAGE_SIZE);
    unsigned data_off = 2 * header_pages(total);
    uint32_t running = 0;
    // the header's size is enough here: hashing the program on every read of capacity is not
    running_bytes(&running);
    return (fstor_layout_t){
        .data_pages = (uint16_t)(total - data_off),
        .page_size = JD_FLASH_PAGE_SIZE,
        .prog = extent("*prog", data_off),
        .prev = extent(STORE_KEY_PREV, data_off),
        .stage = extent(STORE_KEY_STAGE, data_off),
        .running_bytes = running,
    };
}

uint32_t store_capacity(void) {
    fstor_layout_t l = layout();
    return fstor_capacity(&l);
}

bool store_room_for(uint32_t size) {
    fstor_layout_t l = layout();
    return fstor_fits(&l, size);
}
