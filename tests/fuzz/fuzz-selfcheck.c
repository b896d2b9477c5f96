/* A target that crashes on any input starting with 'X' (its seed does):
 * run-fuzz.py must report the crash as a failure, so the smoke runs of
 * the real targets can fail at all. */
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 0 && data[0] == 'X')
		abort();
	return 0;
}
