#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  int which = atoi(argv[1]); /* 0 expf, 1 logf, 2 (float)exp((double)x) */
  static float buf[1 << 20];
  for (uint64_t base = 0; base < (1ull << 32); base += (1u << 20)) {
    for (uint32_t i = 0; i < (1u << 20); i++) {
      uint32_t u = (uint32_t)base + i; float x; memcpy(&x, &u, 4);
      buf[i] = which == 2 ? (float)exp((double)x) : which ? logf(x) : expf(x);
    }
    fwrite(buf, 4, 1 << 20, stdout);
  }
  return 0;
}
