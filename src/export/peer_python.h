// Running peer tools' Python scripts (scripts/*.py) with the interpreter of the peers' virtual
// environment (scripts/install_peers.sh makes .peers/). Peers are never dependencies of tinynmt.
#pragma once

#include <string>
#include <vector>

namespace tinynmt::exporting {

/// The interpreter for peer scripts: $TINYNMT_PYTHON when set and not empty; else .peers/bin/python
/// of the repository (found as repository_file(".peers/bin/python")) when it exists; else
/// "python3" (looked up on PATH when run).
std::string peer_python();

/// The path of `relative` (e.g. "scripts/ctranslate2_convert.py") in tinynmt's repository: under
/// the working directory, or under the directory of this executable or one of its three parents
/// (build/tinynmt -> the repository root). Empty when none has it.
std::string repository_file(const std::string& relative);

/// The outcome of run_python.
struct PythonResult {
  int exit_code = 0;       ///< the script's exit status; 127 when the interpreter cannot start
  std::string last_error;  ///< the last non-empty line the script wrote to stderr
};

/// Runs `python script args...` (no shell), stdout passed through, stderr captured into
/// `stderr_file` (and the last line returned). Throws std::runtime_error when it cannot fork.
PythonResult run_python(const std::string& python, const std::string& script,
                        const std::vector<std::string>& args, const std::string& stderr_file);

}  // namespace tinynmt::exporting
