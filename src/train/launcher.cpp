#include "train/launcher.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "util/process.h"

namespace tinynmt {
namespace {

std::atomic<int> g_forward_signal{0};
void on_launcher_signal(int sig) { g_forward_signal.store(sig); }

pid_t start_worker(const std::vector<std::string>& args, int rank, int nproc, int port) {
  std::vector<std::string> env = {"WORLD_SIZE=" + std::to_string(nproc),
                                  "LOCAL_WORLD_SIZE=" + std::to_string(nproc),
                                  "RANK=" + std::to_string(rank),
                                  "LOCAL_RANK=" + std::to_string(rank),
                                  "MASTER_ADDR=127.0.0.1",
                                  "MASTER_PORT=" + std::to_string(port)};
  std::vector<std::string> argv_s = {"tinynmt"};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("--nproc: cannot start a worker process (fork failed)");
  if (pid == 0) {  // the child: no allocation until exec (another thread may hold malloc's lock)
    for (const auto& kv : env) ::putenv(const_cast<char*>(kv.c_str()));
    ::execv("/proc/self/exe", argv.data());
    ::_exit(127);
  }
  return pid;
}

}  // namespace

int free_local_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("--nproc: cannot open a socket to find a free port");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof(a);
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(fd);
  if (port <= 0) throw std::runtime_error("--nproc: cannot find a free TCP port on 127.0.0.1");
  return port;
}

int launch_local_workers(const std::vector<std::string>& args, int nproc,
                         std::chrono::seconds grace) {
  const char* env_port = std::getenv("MASTER_PORT");
  const int port = env_port && *env_port ? std::atoi(env_port) : free_local_port();
  std::signal(SIGINT, on_launcher_signal);
  std::signal(SIGTERM, on_launcher_signal);
  std::vector<pid_t> pids;
  for (int r = 0; r < nproc; ++r) pids.push_back(start_worker(args, r, nproc, port));
  int result = 0, running = nproc, forwarded = 0;
  auto deadline = std::chrono::steady_clock::time_point::max();
  while (running > 0) {
    int sig = g_forward_signal.load();
    if (sig != 0 && sig != forwarded) {
      for (pid_t p : pids)
        if (p > 0) ::kill(p, sig);
      forwarded = sig;
    }
    int status = 0;
    pid_t done = ::waitpid(-1, &status, WNOHANG);
    if (done > 0) {
      for (auto& p : pids)
        if (p == done) p = -1, --running;
      int code = exit_status(status);
      if (code != 0 && result == 0) {
        result = code;
        deadline = std::chrono::steady_clock::now() + grace;
      }
      continue;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      for (pid_t p : pids)
        if (p > 0) ::kill(p, SIGKILL);
      deadline = std::chrono::steady_clock::time_point::max();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return result;
}

}  // namespace tinynmt
