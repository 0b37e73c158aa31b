#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"

int test_failures;

extern const test_case_t w5500_spi_tests[], w5500_probe_tests[], net_policy_tests[],
    eth_netif_tests[], platform_service_tests[], socket_gate_tests[], updater_sm_tests[],
    updater_tests[];

static const test_case_t *const groups[] = {
    w5500_spi_tests, w5500_probe_tests,      net_policy_tests,
    eth_netif_tests, platform_service_tests, socket_gate_tests,
    updater_sm_tests, updater_tests,
};

int main(void) {
    int passed = 0, failed = 0;
    for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); ++g) {
        for (const test_case_t *t = groups[g]; t->name; ++t) {
            fflush(NULL);
            pid_t pid = fork();
            if (pid == 0) {
                t->fn();
                exit(test_failures ? 1 : 0);
            }
            int status = 0;
            waitpid(pid, &status, 0);
            if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
                passed++;
            } else {
                failed++;
                fprintf(stderr, "FAIL %s\n", t->name);
            }
        }
    }
    // the Makefile runs this at 64 and at 32 bits and sums the runs into one "native:" line
    printf("native (%d-bit host tests): %d passed, %d failed\n", (int)(sizeof(void *) * 8), passed,
           failed);
    return failed ? 1 : 0;
}
