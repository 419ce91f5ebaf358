// What the 16-lane kernels are compiled against: clang's AVX-512 intrinsics and the attributes that
// let a function use them (AVX512: F and DQ, which tc_avx512() requires; VNNI: the integer
// product's), and the checks of whether this processor has them.
// Built with -DTC_EMULATE_AVX512 (`make test-avx512-emulated`), emulate512.h's portable C stands in
// for the intrinsics and the checks say yes: the same kernel code then runs, slowly, on processors
// without AVX-512, so the tests hold it to the Swift code there too.
#ifndef TINYCAST_ISA512_H
#define TINYCAST_ISA512_H

#ifdef TC_EMULATE_AVX512
#include "emulate512.h"
#define AVX512
#define VNNI
static inline int avx512dq_supported(void) { return 1; }
static inline int vnni_supported(void) { return 1; }
#else
#include <immintrin.h>
#define AVX512 __attribute__((target("avx512f,avx512dq")))
#define VNNI __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx512vnni")))

/// Reads of the processor description the runtime filled in at start-up: cheap, and no state here.
static inline int avx512dq_supported(void) {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
}
static inline int vnni_supported(void) {
  return avx512dq_supported() && __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw")
      && __builtin_cpu_supports("avx512vl");
}
#endif

/// A helper that takes its vector count as a constant, which only inlining makes one (its
/// vectors then live in registers): force it.
#define AVX512_TILE AVX512 __attribute__((always_inline)) static inline

#endif
