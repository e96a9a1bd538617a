// Process-level set-up shared by every subcommand: device choice, threads, seeding, allocator.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace tinynmt {

/// "auto" (CUDA when available, else CPU), "cpu", "cuda" or "cuda:N". Throws std::runtime_error
/// when CUDA is asked for and this LibTorch build or machine has none.
torch::Device resolve_device(const std::string& spec);

/// Sets LibTorch's intra-op threads: `threads` or, when 0, all cores (Debian's LibTorch starts
/// with 1). Returns the number set.
int64_t configure_threads(int64_t threads);

/// Seeds torch's CPU (and CUDA) generators.
void seed_everything(uint64_t seed);

/// glibc malloc settings for training: keep large temporaries (logits, attention) on the heap
/// instead of mmap'ing and page-faulting them every step. Idempotent.
void tune_allocator();

/// Seconds since an arbitrary epoch (steady clock).
double now_seconds();

/// "1h02m", "3m05s", "12s".
std::string format_duration(double seconds);

}  // namespace tinynmt
