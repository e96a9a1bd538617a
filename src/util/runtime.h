// Process-level set-up shared by every subcommand: device choice, threads, seeding, allocator.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace tinynmt {

/// A device that was asked for and cannot be had; the CLI exits with code 2.
class DeviceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Whether `spec` is one of the device forms: "auto", "cpu", "cuda" or "cuda:N" (N digits).
bool is_device_spec(const std::string& spec);

/// "auto" (CUDA when available, else CPU), "cpu", "cuda" or "cuda:N". Throws DeviceError when
/// CUDA is asked for and either this binary was built without CUDA (Debian's LibTorch) or it has
/// CUDA but the machine shows no such GPU; the message says which. Throws DeviceError for a
/// spec that is none of the four forms.
torch::Device resolve_device(const std::string& spec);

/// Sets LibTorch's intra-op threads: `threads` or, when 0, all cores divided by
/// `processes_here` (the training ranks sharing this machine; at least 1 thread) (Debian's
/// LibTorch starts with 1). Returns the number set.
int64_t configure_threads(int64_t threads, int64_t processes_here = 1);

/// Binds each of LibTorch's intra-op (OpenMP) threads to its own CPU, thread i to the i-th CPU
/// the process may run on, as OMP_PROC_BIND=true would, when there are exactly as many threads
/// as such CPUs (the default, run.threads: 0) and more than one. Unbound, the kernel moves the
/// two threads of a 2-core machine between the cores during a step; bound, training ran about
/// 1% faster in paired measurements. Does nothing when the user set OMP_PROC_BIND, OMP_PLACES or
/// GOMP_CPU_AFFINITY (OMP_PROC_BIND=false turns it off), or without OpenMP or Linux. Threads
/// created later by the calling thread inherit its single CPU, so call it after set-up that
/// starts threads (SentencePiece training). Returns whether the threads were bound.
bool bind_threads_to_cpus();

/// CPU set-up of a compute loop (training): bind_threads_to_cpus() and the OpenBLAS kernel note
/// of blas_core.h. Returns the lines worth logging once (none when nothing was done or needs
/// saying): the binding, and OpenBLAS's core when tinynmt chose it. Throws nothing.
std::vector<std::string> prepare_cpu_compute();

/// Seeds torch's CPU (and CUDA) generators.
void seed_everything(uint64_t seed);

/// glibc malloc settings for training and decoding: keep large temporaries (logits, attention,
/// the beam's caches) on the heap instead of mmap'ing and page-faulting them every step.
/// Idempotent.
void tune_allocator();

/// Seconds since an arbitrary epoch (steady clock).
double now_seconds();

/// "1h02m", "3m05s", "12s".
std::string format_duration(double seconds);

}  // namespace tinynmt
