#ifndef PALISADE_CFUZZDRIVER_H
#define PALISADE_CFUZZDRIVER_H

#include <stddef.h>
#include <stdint.h>

/// A fuzz target's body: one input, 0 back.
typedef int (*PalisadeFuzzTarget)(const uint8_t *data, size_t size);

/// Runs libFuzzer's driver on the command line's arguments with `target`, and returns its exit
/// status; returns -1 when the executable was built without libFuzzer (-sanitize=fuzzer).
int palisade_fuzz_run_driver(int *argc, char ***argv, PalisadeFuzzTarget target);

#endif
