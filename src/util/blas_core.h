// OpenBLAS's kernel choice, corrected where Debian 12's OpenBLAS makes a slow one.
//
// Debian 12's libopenblas0 (0.3.21, DYNAMIC_ARCH) picks its kernels from the CPU model when the
// library loads, and falls back to its SSE3 "Prescott" kernels for a model it does not know. On
// the 2-core development machine of 2026-12-06 (Xeon, family 6 model 207, AVX-512) it chose
// Prescott, and Multi30k Transformer training ran at 830-990 target tokens/s, against 2,660-3,570
// with OPENBLAS_CORETYPE=SkylakeX (first 15 steps; gdb stacks show sgemm_kernel_PRESCOTT against
// sgemm_kernel_SKYLAKEX). OpenBLAS reads OPENBLAS_CORETYPE only when it loads, so the correction
// sets it and starts the program again.
#pragma once

#include <string>

namespace tinynmt {

/// The core OpenBLAS chose ("SkylakeX", "Haswell", "Cooperlake", ...), read from
/// openblas_get_corename(); "" when the BLAS in this process is not OpenBLAS or does not say.
std::string openblas_core_name();

/// Whether this CPU has AVX-512F, and AVX2 with FMA (__builtin_cpu_supports; false off x86).
struct CpuVectorFeatures {
  bool avx512f = false;
  bool avx2_fma = false;
};
CpuVectorFeatures cpu_vector_features();

/// The OPENBLAS_CORETYPE that runs faster than `core` on a CPU with these features, or "" to keep
/// `core`. Replaced are OpenBLAS's fallbacks for a CPU it does not know, cores without AVX2
/// kernels (Prescott, Core2, Nehalem, Sandybridge): by "SkylakeX" on a CPU with AVX-512F, by
/// "Haswell" on one with AVX2 and FMA. Any other core is OpenBLAS's own match and kept.
/// Case-insensitive in `core`.
std::string better_openblas_core(const std::string& core, bool avx512f, bool avx2_fma);

/// When OPENBLAS_CORETYPE is unset and better_openblas_core() names a core for this CPU: sets
/// OPENBLAS_CORETYPE to it, TINYNMT_BLAS_CORE_WAS to the core OpenBLAS had chosen, and
/// re-executes the running program (/proc/self/exe) with `argv`; the new process image keeps the
/// PID, so launchers (torchrun, `--nproc`) see no difference. Returns only when nothing was to be
/// done or exec failed (the program then goes on with OpenBLAS's choice). Call first in main().
/// TINYNMT_KEEP_BLAS_CORE=1 turns it off. Linux only; elsewhere does nothing.
void use_faster_openblas_core(char** argv);

/// One line for the log when use_faster_openblas_core() re-executed this process ("OpenBLAS core
/// SkylakeX instead of Prescott, ..."), else "".
std::string openblas_core_note();

}  // namespace tinynmt
