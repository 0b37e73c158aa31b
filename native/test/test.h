// A minimal test runner: each TEST runs in a forked child so the components' static state
// (one Ethernet bring-up per boot on the device) starts fresh for every test.
#pragma once
#include <stdio.h>
#include <string.h>

typedef void (*test_fn)(void);
typedef struct {
    const char *name;
    test_fn fn;
} test_case_t;

extern int test_failures;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);             \
            test_failures++;                                                                       \
        }                                                                                          \
    } while (0)

#define CHECK_EQ(a, b)                                                                             \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        if (a_ != b_) {                                                                            \
            fprintf(stderr, "  %s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__, #a,  \
                    a_, #b, b_);                                                                   \
            test_failures++;                                                                       \
        }                                                                                          \
    } while (0)

#define CHECK_BYTES(got, n, ...)                                                                   \
    do {                                                                                           \
        const unsigned char want_[] = {__VA_ARGS__};                                               \
        if ((n) != sizeof(want_) || memcmp((got), want_, sizeof(want_)) != 0) {                    \
            fprintf(stderr, "  %s:%d: bytes of %s differ\n", __FILE__, __LINE__, #got);            \
            test_failures++;                                                                       \
        }                                                                                          \
    } while (0)

#define TESTS(group) const test_case_t group[]
#define TEST_END {NULL, NULL}
