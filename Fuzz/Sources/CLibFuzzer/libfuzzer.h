// The one libFuzzer function the fuzz target calls; its definition comes from the
// runtime that `-sanitize=fuzzer` links (https://llvm.org/docs/LibFuzzer.html,
// "Using libFuzzer as a library").
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv,
                        int (*UserCb)(const uint8_t *Data, size_t Size));
