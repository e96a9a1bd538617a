// The one place where tinynmt meets the differences between the LibTorch lines it builds on:
// Debian's LibTorch 1.13 (CPU) and the LibTorch 2.x of the `torch` wheel (CUDA compiled in).
// Code elsewhere calls these functions and never tests TORCH_VERSION_* itself.
#pragma once

#include <ATen/autocast_mode.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <cstdint>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>

// c10d's process groups (data-parallel training): only the names, so that this header stays cheap.
namespace c10d {
class ProcessGroup;
class Backend;
}  // namespace c10d

namespace tinynmt::compat {

#define TINYNMT_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) ||          \
   (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

/// Turns CUDA autocast to bfloat16 on or off for the calling thread. LibTorch >= 2.4 takes the
/// device type (set_autocast_enabled(kCUDA, ...)); 1.13 has set_enabled and
/// set_autocast_gpu_dtype, which later lines removed. Leaving autocast also clears its cast cache.
inline void set_cuda_bf16_autocast(bool on) {
#if TINYNMT_TORCH_AT_LEAST(2, 4)
  at::autocast::set_autocast_enabled(at::kCUDA, on);
  if (on) at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
#else
  at::autocast::set_enabled(on);
  if (on) at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
#endif
  if (!on) at::autocast::clear_cache();
}

/// The key of parameter `p` in Optimizer::state(). LibTorch 1.13 keys the state by the
/// parameter's TensorImpl address written as a string (c10::guts::to_string, gone in 2.x), 2.x by
/// the address itself; the map's own key type decides.
template <typename Optimizer>  // a template, so that only the branch that applies compiles
auto optimizer_state_key(Optimizer& opt, const torch::Tensor& p) {
  using Key = typename std::decay_t<decltype(opt.state())>::key_type;
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream address;  // as 1.13's c10::guts::to_string writes a pointer
    address << static_cast<const void*>(p.unsafeGetTensorImpl());
    return Key(address.str());
  } else {
    return static_cast<Key>(p.unsafeGetTensorImpl());
  }
}

/// Start time and duration of a profiler event (torch::autograd::profiler::KinetoEvent) in
/// nanoseconds: 2.x has startNs()/durationNs(), 1.13 startUs()/durationUs(). Templates, so that
/// only the branch that applies compiles and this header need not include the profiler.
template <typename Event, typename = void>
struct has_ns_times : std::false_type {};
template <typename Event>
struct has_ns_times<Event, std::void_t<decltype(std::declval<const Event&>().startNs())>>
    : std::true_type {};

/// {start, duration} of the event.
template <typename Event>
std::pair<int64_t, int64_t> event_span_ns(const Event& e) {
  if constexpr (has_ns_times<Event>::value)
    return {static_cast<int64_t>(e.startNs()), static_cast<int64_t>(e.durationNs())};
  else
    return {static_cast<int64_t>(e.startUs()) * 1000, static_cast<int64_t>(e.durationUs()) * 1000};
}

/// The class that c10d's ProcessGroupGloo and ProcessGroupNCCL derive from and that carries the
/// collectives (allreduce, broadcast, barrier, each returning a c10d::Work to wait on): in 1.13
/// c10d::ProcessGroup; from 2.0 on c10d::Backend (a ProcessGroup there dispatches to backends).
/// Both spell the collectives, their options and the constructors (store, rank, size, options)
/// the same way.
#if TINYNMT_TORCH_AT_LEAST(2, 0)
using C10dBackend = c10d::Backend;
#else
using C10dBackend = c10d::ProcessGroup;
#endif

/// The LibTorch version this binary was compiled against, "MAJOR.MINOR.PATCH".
inline std::string torch_version() { return TORCH_VERSION; }

}  // namespace tinynmt::compat
