// `tinynmt train CONFIG --nproc N`: N local ranks of one machine, started the way
// `torchrun --standalone --nproc-per-node N` starts them.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace tinynmt {

/// Starts `nproc` copies of this executable (/proc/self/exe) with arguments `args` (the
/// subcommand and its options, --nproc left out), each with WORLD_SIZE=nproc,
/// LOCAL_WORLD_SIZE=nproc, RANK=LOCAL_RANK=i, MASTER_ADDR=127.0.0.1 and MASTER_PORT (the
/// environment's, else a free port of this machine), and waits for them. SIGINT/SIGTERM sent to
/// the launcher is passed on to every worker. When a worker fails, the others stop on their own
/// (they name the lost rank within run.c10d_timeout); any still running `grace` later is
/// killed. Returns 0 when every worker exits 0, else the first failure's exit status (128 +
/// signal number for a worker killed by a signal). Throws std::runtime_error when a worker
/// cannot be started.
int launch_local_workers(const std::vector<std::string>& args, int nproc,
                         std::chrono::seconds grace);

/// A TCP port of 127.0.0.1 that was free a moment ago (bound to port 0, then closed).
/// Throws std::runtime_error when no socket can be bound.
int free_local_port();

}  // namespace tinynmt
