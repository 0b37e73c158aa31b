#!/bin/sh
# usage: run.sh XTENSA_SOURCES TEST_COMMAND...   (a command: a binary, or "qemu-i386 binary")
# Runs each host test binary and prints one closing line, "native: N passed, M failed", that
# sums the binaries' own lines and counts each source compiled for Xtensa as one passed check
# (make runs this only once all of them compiled). tools/test.ts reads that last line.
# A binary whose exit status is non-zero while its line shows no failure (a crash before the
# line, a leak reported at exit) counts as one failure more.
set -u
passed=$1
failed=0
shift
echo "native (xtensa compile): $passed passed, 0 failed"
for t in "$@"; do
    # shellcheck disable=SC2086 # a command of words: an emulator and its binary
    line=$($t)
    status=$?
    [ -n "$line" ] && echo "$line"
    p=$(echo "$line" | sed -n 's/^native ([^)]*): \([0-9]*\) passed, [0-9]* failed$/\1/p')
    f=$(echo "$line" | sed -n 's/^native ([^)]*): [0-9]* passed, \([0-9]*\) failed$/\1/p')
    if [ -z "$p" ]; then
        p=0
        f=0
    fi
    if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "native: $t exited with status $status" >&2
        f=1
    fi
    passed=$((passed + p))
    failed=$((failed + f))
done
echo "native: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
