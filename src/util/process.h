// Probes of this process and machine: peak resident memory (Linux /proc and getrusage), the UTC
// clock, and a temporary directory that removes itself.
#pragma once

#include <string>

namespace tinynmt {

/// Peak resident memory (VmHWM of /proc/self/status) in MB, or a negative value when
/// unavailable.
double vm_hwm_mb();

/// Process peak RSS from getrusage (ru_maxrss is in kB on Linux), in MB.
double max_rss_mb();

/// Returns freed heap memory to the system and resets the peak-RSS mark (VmHWM) to the current
/// RSS (Linux >= 4.0, /proc/PID/clear_refs value 5). Returns false when the reset failed.
bool reset_peak_rss();

/// A child's exit code from waitpid()'s status: its exit status, 128 + the signal that ended
/// it (as a shell reports it), else 1.
int exit_status(int wait_status);

/// The current time, UTC, ISO 8601 to the second ("2026-01-31T12:00:00Z").
std::string utc_now();

/// A temporary directory (TMPDIR/tinynmt_bench_XXXXXX, mkdtemp) removed with its contents on
/// destruction. The constructor throws std::runtime_error naming the path when it cannot create
/// one.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace tinynmt
