// Host fake of jacdac-c's fstor (source/jd_fstor.c) as devicescript-esp32 configures it: a
// 256 KB partition of 4 KB pages, 64 / 16 = 4 header pages per copy, two copies, data pages
// after them. Large settings get contiguous whole pages, first fit, with jd_fstor's bound (a
// block never takes the last data page); preparing a key frees its old pages first and erases
// the new ones; flash_program clears bits (NOR flash: an erased byte reads 0xff). Small
// settings are a key table: their header-area bookkeeping is not modelled.
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fake.h"
#include "jd_protocol.h"
#include "services/interfaces/jd_flash.h"

#define TOTAL (256 * 1024)
#define PAGES (TOTAL / JD_FLASH_PAGE_SIZE)
#define HEADER_PAGES (PAGES / 16)
#define DATA_OFF (2 * HEADER_PAGES)
#define DATA_PAGES (PAGES - DATA_OFF)
#define MAX_KEYS 8
#define MAX_BIN 512

typedef struct {
    char key[16];
    unsigned first, pages, size; // pages == 0: no such key
    int writes;
} large_t;

typedef struct {
    char key[16];
    unsigned size;
    uint8_t val[MAX_BIN];
} bin_t;

typedef struct {
    uint8_t flash[TOTAL] __attribute__((aligned(JD_FLASH_PAGE_SIZE)));
    large_t large[MAX_KEYS];
    bin_t bin[MAX_KEYS];
} store_t;

static store_t *store;
uint32_t flash_size = TOTAL;
uintptr_t flash_base;

void fake_flash_format(void) {
    if (!store) {
        store = mmap(NULL, sizeof(store_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                     -1, 0);
        if (store == MAP_FAILED)
            abort();
        flash_base = (uintptr_t)store->flash;
    }
    memset(store, 0, sizeof(*store));
    memset(store->flash, 0xff, TOTAL);
}

static large_t *find_large(const char *key) {
    for (int i = 0; i < MAX_KEYS; ++i)
        if (store->large[i].pages && strcmp(store->large[i].key, key) == 0)
            return &store->large[i];
    return NULL;
}

static bool page_used(unsigned p) {
    for (int i = 0; i < MAX_KEYS; ++i) {
        const large_t *l = &store->large[i];
        if (l->pages && p >= l->first && p < l->first + l->pages)
            return true;
    }
    return false;
}

const void *jd_settings_get_large(const char *key, unsigned *sizep) {
    large_t *l = find_large(key);
    if (!l)
        return NULL;
    if (sizep)
        *sizep = l->size;
    return store->flash + (DATA_OFF + l->first) * JD_FLASH_PAGE_SIZE;
}

void *jd_settings_prep_large(const char *key, unsigned size) {
    if (key[0] != '*' || strlen(key) > 15)
        abort(); // jd_fstor refuses these; native/ must never pass one
    unsigned pages = size ? (size + JD_FLASH_PAGE_SIZE - 1) / JD_FLASH_PAGE_SIZE : 1;
    large_t *old = find_large(key);
    unsigned old_pages = old ? old->pages : 0;
    if (old)
        old->pages = 0; // its pages count as free while looking
    for (unsigned off = 0; pages < DATA_PAGES && off < DATA_PAGES - pages; ++off) {
        bool free_run = true;
        for (unsigned i = 0; i < pages && free_run; ++i)
            free_run = !page_used(off + i);
        if (!free_run)
            continue;
        large_t *l = old;
        for (int i = 0; !l && i < MAX_KEYS; ++i)
            if (!store->large[i].pages)
                l = &store->large[i];
        if (!l)
            abort();
        memset(l, 0, sizeof(*l));
        strcpy(l->key, key);
        l->first = off;
        l->pages = pages;
        l->size = size;
        uint8_t *p = store->flash + (DATA_OFF + off) * JD_FLASH_PAGE_SIZE;
        memset(p, 0xff, pages * JD_FLASH_PAGE_SIZE);
        return p;
    }
    if (old)
        old->pages = old_pages;
    return NULL;
}

int jd_settings_write_large(void *dst, const void *src, unsigned size) {
    uint8_t *d = dst;
    if (d < store->flash || d + size > store->flash + TOTAL)
        abort();
    unsigned page = (unsigned)(d - store->flash) / JD_FLASH_PAGE_SIZE - DATA_OFF;
    for (int i = 0; i < MAX_KEYS; ++i) {
        large_t *l = &store->large[i];
        if (l->pages && page >= l->first && page < l->first + l->pages)
            l->writes++;
    }
    const uint8_t *s = src;
    for (unsigned i = 0; i < size; ++i)
        d[i] &= s[i];
    return 0;
}

int jd_settings_sync_large(void) {
    return 0;
}

int fake_flash_writes_to(const char *key) {
    large_t *l = find_large(key);
    return l ? l->writes : 0;
}

static bin_t *find_bin(const char *key) {
    for (int i = 0; i < MAX_KEYS; ++i)
        if (store->bin[i].key[0] && strcmp(store->bin[i].key, key) == 0)
            return &store->bin[i];
    return NULL;
}

int jd_settings_get_bin(const char *key, void *dst, unsigned space) {
    bin_t *b = find_bin(key);
    if (!b)
        return -2;
    if (space >= b->size)
        memcpy(dst, b->val, b->size);
    return (int)b->size;
}

int jd_settings_set_bin(const char *key, const void *val, unsigned size) {
    if (key[0] == '*' || strlen(key) > 15 || size > MAX_BIN)
        abort();
    bin_t *b = find_bin(key);
    for (int i = 0; !b && i < MAX_KEYS; ++i)
        if (!store->bin[i].key[0])
            b = &store->bin[i];
    if (!b)
        return -3;
    strcpy(b->key, key);
    b->size = size;
    memcpy(b->val, val, size);
    return 0;
}
