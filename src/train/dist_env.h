// Where this process stands in a data-parallel job: the variables torchrun (and Slurm or
// Kubernetes wrappers that follow its conventions) set for every worker.
#pragma once

#include <string>

namespace tinynmt {

/// WORLD_SIZE, RANK, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR and MASTER_PORT, and torchrun's
/// TORCHELASTIC_USE_AGENT_STORE and TORCHELASTIC_RESTART_COUNT.
struct DistEnv {
  int world_size = 1;
  int rank = 0;
  int local_rank = 0;
  int local_world_size = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;  ///< torchrun's default
  /// TORCHELASTIC_USE_AGENT_STORE=True: torchrun's agent already serves the TCPStore at
  /// MASTER_ADDR:MASTER_PORT, so every rank (rank 0 too) connects to it as a client, under the
  /// key prefix /worker/attempt_{TORCHELASTIC_RESTART_COUNT}, as torch.distributed does.
  bool agent_store = false;
  int restart_count = 0;  ///< TORCHELASTIC_RESTART_COUNT
  bool distributed() const { return world_size > 1; }
};

/// Reads the variables from the environment. Unset: WORLD_SIZE 1, RANK 0, LOCAL_RANK 0,
/// LOCAL_WORLD_SIZE 1, MASTER_ADDR 127.0.0.1, MASTER_PORT 29500. Throws std::invalid_argument
/// with one line naming the variable when a value is not a number, RANK is not in
/// [0, WORLD_SIZE), LOCAL_RANK not in [0, LOCAL_WORLD_SIZE) or MASTER_PORT not in 1..65535.
DistEnv read_dist_env();

}  // namespace tinynmt
