#include "export/peer_python.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "util/process.h"

namespace tinynmt::exporting {
namespace fs = std::filesystem;

std::string repository_file(const std::string& relative) {
  std::vector<fs::path> roots = {fs::current_path()};
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec)
    for (fs::path dir = exe.parent_path(); roots.size() < 5 && !dir.empty();
         dir = dir.parent_path()) {
      roots.push_back(dir);
      if (dir == dir.root_path()) break;
    }
  for (const auto& root : roots)
    if (fs::exists(root / relative, ec)) return (root / relative).string();
  return "";
}

std::string peer_python() {
  const char* env = std::getenv("TINYNMT_PYTHON");
  if (env && *env) return env;
  std::string venv = repository_file(".peers/bin/python");
  return venv.empty() ? "python3" : venv;
}

namespace {

std::string last_nonempty_line(const std::string& path) {
  std::ifstream in(path);
  std::string line, last;
  while (std::getline(in, line))
    if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
  return last;
}

}  // namespace

PythonResult run_python(const std::string& python, const std::string& script,
                        const std::vector<std::string>& args, const std::string& stderr_file) {
  std::vector<std::string> argv_s = {python, script};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(fmt::format("cannot start {}: fork failed", python));
  if (pid == 0) {  // the child: stderr to the file, then the interpreter
    const int fd = ::open(stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) ::dup2(fd, 2);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw std::runtime_error(fmt::format("waiting for {} failed", python));
  PythonResult r;
  r.exit_code = exit_status(status);
  r.last_error = last_nonempty_line(stderr_file);
  return r;
}

}  // namespace tinynmt::exporting
