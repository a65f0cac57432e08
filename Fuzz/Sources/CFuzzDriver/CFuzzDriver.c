#include "CFuzzDriver.h"

// libFuzzer's entry point for programs that have a main of their own. Weak, so that the fuzz
// targets still link (and replay files) when built without -sanitize=fuzzer.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size)) __attribute__((weak));

int palisade_fuzz_run_driver(int *argc, char ***argv, PalisadeFuzzTarget target) {
    if (!LLVMFuzzerRunDriver) return -1;
    return LLVMFuzzerRunDriver(argc, argv, target);
}
