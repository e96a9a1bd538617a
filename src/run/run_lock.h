// The run directory's lock: one trainer writes a run directory at a time, so a second trainer
// started on it cannot overwrite its checkpoints. flock(2) on RUN_DIR/.lock: the kernel releases
// it when the holder exits, however it exits (kill -9 included), so a stale lock file never
// blocks a restart.
#pragma once

#include <string>

namespace tinynmt {

class RunLock {
 public:
  /// Takes the lock of `run_dir` (which must exist) without waiting, and writes this process's
  /// id into the lock file. Throws std::runtime_error with one line naming the directory and
  /// the holder's process id when another live process holds it, or naming the lock file when
  /// it cannot be opened.
  explicit RunLock(const std::string& run_dir);
  /// Releases the lock (the file stays; its content is informative only).
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace tinynmt
