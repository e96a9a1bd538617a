// Data-parallel ranks on LibTorch's c10d: rendezvous through a TCPStore hosted by rank 0
// (MASTER_ADDR:MASTER_PORT), collectives through ProcessGroupGloo (CPU tensors) or
// ProcessGroupNCCL (CUDA tensors; CUDA builds of LibTorch 2.x only).
#pragma once

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

#include "train/communicator.h"
#include "train/dist_env.h"

namespace tinynmt {

/// A rank lost contact with the group (a peer died, was killed, or timed out), or rendezvous
/// failed (port in use, MASTER_ADDR unreachable, a rank missing). what() is one line naming the
/// rank(s) lost or the address, without LibTorch's backtrace.
class CommError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct C10dOptions {
  std::string backend = "gloo";      ///< gloo | nccl (run.backend after `auto` is resolved)
  std::chrono::seconds timeout{60};  ///< run.c10d_timeout: rendezvous and every collective
  std::string device = "cpu";        ///< where collectives run: cpu, or cuda:N for nccl
};

/// One rank of a c10d group. Construction is the rendezvous: it returns once all
/// env.world_size ranks have joined, or throws CommError after options.timeout.
/// Every collective either completes or throws CommError within the timeout naming the lost
/// rank(s): the surviving ranks mark themselves in the store, wait two seconds and name those
/// that did not (rank 0 when the store, which lives in rank 0's process, is gone).
class C10dCommunicator final : public Communicator {
 public:
  /// Throws CommError: MASTER_PORT already in use on rank 0's machine, MASTER_ADDR unreachable,
  /// not every rank joined within the timeout; std::invalid_argument for an unknown backend or
  /// nccl in a build without it.
  C10dCommunicator(const DistEnv& env, const C10dOptions& options);
  ~C10dCommunicator() override;

  int world_size() const override { return env_.world_size; }
  int rank() const override { return env_.rank; }
  int local_world_size() const override { return env_.local_world_size; }
  int local_rank() const override { return env_.local_rank; }
  /// Sum over ranks in place (c10d allreduce, one call for the whole flat buffer).
  void all_reduce_sum(torch::Tensor& flat) override;
  void broadcast(torch::Tensor& tensor, int root) override;
  void barrier() override;
  /// Through the store: the root sets a key, the others wait for it (no time limit while the
  /// root's process lives), then a barrier and the root deletes the key.
  void broadcast_bytes(std::string& bytes, int root) override;

 private:
  struct Impl;
  [[noreturn]] void fail(const std::string& what, const std::exception& e);
  DistEnv env_;
  C10dOptions options_;
  std::unique_ptr<Impl> impl_;
};

/// `run.backend` resolved for a device: auto -> nccl on CUDA, gloo on the CPU.
std::string resolve_backend(const std::string& backend, bool cuda);

}  // namespace tinynmt
