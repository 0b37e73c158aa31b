// Host fakes of the DeviceScript runtime calls the updater makes: the manager's deploy path and
// program hash (devsmgr.c at the commit devicescript-esp32 pins), the bytecode check, and the
// runtime's one-context SHA-256 (FIPS 180-4, written for these tests).
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devicescript.h"
#include "fake.h"
#include "services/interfaces/jd_flash.h"

// devsmgr.c's program header: magic0, size, magic1, hash, 28 reserved words, then the image;
// magic1 and the hash are written only when the deploy completes
#define PROG_MAGIC0 0x8d8abd53u
#define PROG_MAGIC1 0xb27c4b2bu
#define PROG_HEADER 128

static const uint8_t *program_base;
static uint32_t write_offset;

static uint32_t rd32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static bool header_ok(void) {
    return program_base && rd32(program_base) == PROG_MAGIC0 &&
           rd32(program_base + 8) == PROG_MAGIC1;
}

void fake_devsmgr_boot(void) {
    program_base = jd_settings_get_large("*prog", NULL);
    write_offset = 0;
    fake.program_running = header_ok();
}

int devsmgr_deploy_start(uint32_t sz) {
    if (sz & 31)
        return -1;
    fake.program_running = false;
    fake.deploys_started++;
    program_base = jd_settings_prep_large("*prog", PROG_HEADER + sz);
    if (!program_base)
        return -2;
    if (sz == 0)
        return 0;
    uint32_t hd[2] = {PROG_MAGIC0, sz};
    jd_settings_write_large((void *)program_base, hd, 8);
    write_offset = PROG_HEADER;
    return 0;
}

int devsmgr_deploy_write(const void *buf, unsigned size) {
    if (write_offset == 0)
        return -1;
    uint32_t endp = rd32(program_base + 4) + PROG_HEADER;
    if (buf == NULL) {
        if (write_offset != endp)
            return -1;
        uint32_t tail[2] = {PROG_MAGIC1, 0x1234}; // the FNV-1a hash: nobody here reads it
        jd_settings_write_large((void *)(program_base + 8), tail, 8);
        fake.deploys_done++;
        fake.program_running = true; // the manager starts it on its next process()
        return 0;
    }
    if ((size & 31) || write_offset + size > endp || size >= 4096) {
        write_offset = 0;
        return -1;
    }
    if (++fake.deploy_writes == fake.power_cut_after_writes)
        _exit(0);
    jd_settings_write_large((void *)(program_base + write_offset), buf, size);
    write_offset += size;
    return 0;
}

int devsmgr_get_hash(uint8_t hash[JD_SHA256_HASH_BYTES]) {
    if (!header_ok()) {
        memset(hash, 0, JD_SHA256_HASH_BYTES);
        return -1;
    }
    fake_sha256(program_base + PROG_HEADER, rd32(program_base + 4), hash);
    return 0;
}

// verify.c: "DevS" magic words, then the image's major version must equal the runtime's and
// its minor may not be newer (the tests' images carry only the fixed header)
int devs_verify(const uint8_t *img, uint32_t size) {
    if (size < 32 || rd32(img) != 0x53766544 || rd32(img + 4) != 0xf1296e0a)
        return -1;
    uint32_t version = rd32(img + 8);
    return (version >> 24) == 2 && ((version >> 16) & 0xff) <= 16 ? 0 : -2;
}

// ---- SHA-256
static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

static struct {
    uint32_t h[8];
    uint8_t block[64];
    unsigned fill;
    uint64_t bytes;
    bool open;
} ctx;

static uint32_t ror(uint32_t x, unsigned n) {
    return (x >> n) | (x << (32 - n));
}

static void compress(void) {
    uint32_t w[64];
    for (int i = 0; i < 16; ++i)
        w[i] = (uint32_t)ctx.block[4 * i] << 24 | (uint32_t)ctx.block[4 * i + 1] << 16 |
               (uint32_t)ctx.block[4 * i + 2] << 8 | ctx.block[4 * i + 3];
    for (int i = 16; i < 64; ++i) {
        uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t v[8];
    memcpy(v, ctx.h, sizeof(v));
    for (int i = 0; i < 64; ++i) {
        uint32_t t1 = v[7] + (ror(v[4], 6) ^ ror(v[4], 11) ^ ror(v[4], 25)) +
                      ((v[4] & v[5]) ^ (~v[4] & v[6])) + K[i] + w[i];
        uint32_t t2 = (ror(v[0], 2) ^ ror(v[0], 13) ^ ror(v[0], 22)) +
                      ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
        memmove(v + 1, v, 7 * sizeof(uint32_t));
        v[4] += t1;
        v[0] = t1 + t2;
    }
    for (int i = 0; i < 8; ++i)
        ctx.h[i] += v[i];
}

void jd_sha256_setup(void) {
    // one context for the whole runtime: a second setup before finish would mix two hashes
    if (ctx.open)
        abort();
    static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(ctx.h, h0, sizeof(h0));
    ctx.fill = 0;
    ctx.bytes = 0;
    ctx.open = true;
}

void jd_sha256_update(const void *buf, unsigned size) {
    const uint8_t *p = buf;
    ctx.bytes += size;
    while (size--) {
        ctx.block[ctx.fill++] = *p++;
        if (ctx.fill == 64) {
            compress();
            ctx.fill = 0;
        }
    }
}

void jd_sha256_finish(uint8_t hash[JD_SHA256_HASH_BYTES]) {
    uint64_t bits = ctx.bytes * 8;
    uint8_t pad = 0x80;
    jd_sha256_update(&pad, 1);
    pad = 0;
    while (ctx.fill != 56)
        jd_sha256_update(&pad, 1);
    for (int i = 7; i >= 0; --i) {
        uint8_t b = (uint8_t)(bits >> (8 * i));
        jd_sha256_update(&b, 1);
    }
    for (int i = 0; i < 8; ++i)
        for (int j = 0; j < 4; ++j)
            hash[4 * i + j] = (uint8_t)(ctx.h[i] >> (24 - 8 * j));
    ctx.open = false;
}

void fake_sha256(const void *data, unsigned size, uint8_t out[32]) {
    jd_sha256_setup();
    jd_sha256_update(data, size);
    jd_sha256_finish(out);
}
