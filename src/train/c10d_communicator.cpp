#include "train/c10d_communicator.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <sys/socket.h>
#include <torch/version.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <vector>

#include "util/torch_compat.h"
#if TINYNMT_TORCH_CUDA && defined(USE_C10D_NCCL)
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#define TINYNMT_HAVE_NCCL 1
#else
#define TINYNMT_HAVE_NCCL 0
#endif

namespace tinynmt {

struct C10dCommunicator::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<compat::C10dBackend> group;
  int64_t bytes_seq = 0;
};

namespace {

// The first line of an exception's message (LibTorch's carry a backtrace after it).
std::string first_line(const std::exception& e) {
  std::string s = e.what();
  auto nl = s.find('\n');
  return nl == std::string::npos ? s : s.substr(0, nl);
}

// This machine's address on the route to `master` (the source address the kernel would use),
// for Gloo to advertise to the other ranks: the host name may resolve to a loopback address
// that other machines cannot reach. Empty when it cannot be determined.
std::string local_address_towards(const std::string& master, int port) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(master.c_str(), std::to_string(port).c_str(), &hints, &res) != 0) return "";
  std::string out;
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) == 0) {  // no packet is sent
    sockaddr_in local{};
    socklen_t len = sizeof(local);
    char buf[INET_ADDRSTRLEN] = {0};
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) == 0 &&
        inet_ntop(AF_INET, &local.sin_addr, buf, sizeof(buf)) != nullptr)
      out = buf;
  }
  if (fd >= 0) close(fd);
  freeaddrinfo(res);
  return out;
}

// c10d logs each failed bind or connect attempt to stderr itself (glog in 1.13, c10 logging in
// 2.x), several lines per attempt; the failure reaches the user as one line of ours instead.
// Silences stderr (file descriptor 2) while it lives.
class QuietStderr {
 public:
  QuietStderr() : saved_(::dup(STDERR_FILENO)) {
    int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (saved_ >= 0 && null >= 0) ::dup2(null, STDERR_FILENO);
    if (null >= 0) ::close(null);
  }
  ~QuietStderr() {
    if (saved_ < 0) return;
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
  }
  QuietStderr(const QuietStderr&) = delete;
  QuietStderr& operator=(const QuietStderr&) = delete;

 private:
  int saved_;
};

// One request to torchrun's agent store: a TCPStore server of another PyTorch version speaks
// another protocol and drops this client's connection on its first request.
void probe_agent_store(c10d::Store& store, const DistEnv& env) {
  try {
    // The requests Gloo's rendezvous makes: set, wait, get (and add for counters).
    const std::string key = fmt::format("tinynmt/probe/{}", env.rank);
    store.set(key, std::vector<uint8_t>{1});
    store.wait({key}, std::chrono::seconds(10));
    store.get(key);
    store.add("tinynmt/probe/count", 1);
  } catch (const std::exception& e) {
    throw CommError(fmt::format(
        "rank {}: torchrun's store at MASTER_ADDR:MASTER_PORT {}:{} did not answer this "
        "LibTorch {} client ({}); a torchrun of another PyTorch version? Start torchrun with "
        "TORCH_DISABLE_SHARE_RDZV_TCP_STORE=1 (rank 0 then serves the store), or use --nproc",
        env.rank, env.master_addr, env.master_port, TORCH_VERSION, first_line(e)));
  }
}

c10::intrusive_ptr<c10d::Store> make_store(const DistEnv& env, std::chrono::seconds timeout) {
  c10d::TCPStoreOptions o;
  o.port = static_cast<std::uint16_t>(env.master_port);
  o.isServer = env.rank == 0 && !env.agent_store;
  o.numWorkers = static_cast<std::size_t>(env.world_size);
  o.waitWorkers = !env.agent_store;
  o.timeout = timeout;
  c10::intrusive_ptr<c10d::Store> store;
  try {
    QuietStderr quiet;
    store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, o);
  } catch (const std::exception& e) {
    std::string why = first_line(e);
    if (why.find("in use") != std::string::npos)
      throw CommError(
          fmt::format("rank 0: MASTER_PORT {} is already in use on this machine; "
                      "choose a free port ({})",
                      env.master_port, why));
    throw CommError(
        fmt::format("rank {}: rendezvous at MASTER_ADDR:MASTER_PORT {}:{} failed "
                    "within {} s (run.c10d_timeout): {}",
                    env.rank, env.master_addr, env.master_port, timeout.count(), why));
  }
  if (!env.agent_store) return store;
  // torch.distributed's env:// rendezvous under torchrun: one key space per restart attempt.
  auto prefixed = c10::make_intrusive<c10d::PrefixStore>(
      fmt::format("/worker/attempt_{}", env.restart_count), store);
  probe_agent_store(*prefixed, env);
  return prefixed;
}

c10::intrusive_ptr<compat::C10dBackend> make_gloo(const c10::intrusive_ptr<c10d::Store>& store,
                                                  const DistEnv& env,
                                                  std::chrono::seconds timeout) {
  auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname) {
    opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
  } else {
    std::string addr = local_address_towards(env.master_addr, env.master_port);
    opts->devices.push_back(addr.empty() ? c10d::ProcessGroupGloo::createDefaultDevice()
                                         : c10d::ProcessGroupGloo::createDeviceForHostname(addr));
  }
  opts->threads = 2;
  return c10::make_intrusive<c10d::ProcessGroupGloo>(store, env.rank, env.world_size, opts);
}

c10::intrusive_ptr<compat::C10dBackend> make_nccl(const c10::intrusive_ptr<c10d::Store>& store,
                                                  const DistEnv& env,
                                                  std::chrono::seconds timeout) {
#if TINYNMT_HAVE_NCCL
  auto opts = c10d::ProcessGroupNCCL::Options::create();
  opts->timeout = timeout;
  return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, env.rank, env.world_size, opts);
#else
  (void)store, (void)env, (void)timeout;
  throw std::invalid_argument(
      "run.backend: nccl is not in this build (a CUDA LibTorch 2.x build has it); use gloo");
#endif
}

}  // namespace

std::string resolve_backend(const std::string& backend, bool cuda) {
  if (backend == "auto") return cuda ? "nccl" : "gloo";
  return backend;
}

C10dCommunicator::C10dCommunicator(const DistEnv& env, const C10dOptions& options)
    : env_(env), options_(options), impl_(std::make_unique<Impl>()) {
  if (options.backend != "gloo" && options.backend != "nccl")
    throw std::invalid_argument("run.backend: '" + options.backend +
                                "' is not valid; choose auto, gloo or nccl");
  impl_->store = make_store(env, options.timeout);
  try {
    QuietStderr quiet;
    impl_->group = options.backend == "nccl" ? make_nccl(impl_->store, env, options.timeout)
                                             : make_gloo(impl_->store, env, options.timeout);
  } catch (const std::invalid_argument&) {
    throw;
  } catch (const std::exception& e) {
    throw CommError(
        fmt::format("rank {}: could not connect the {} process group ({} ranks, "
                    "MASTER_ADDR {}): {}",
                    env.rank, options.backend, env.world_size, env.master_addr, first_line(e)));
  }
}

C10dCommunicator::~C10dCommunicator() = default;

void C10dCommunicator::fail(const std::string& what, const std::exception& e) {
  // Mark this rank as alive in the store, give the other survivors time to do the same, and
  // name the ranks that did not: they are the lost ones.
  std::string lost;
  try {
    impl_->store->set("alive/" + std::to_string(env_.rank), std::vector<uint8_t>{1});
    std::this_thread::sleep_for(std::chrono::seconds(2));
    for (int r = 0; r < env_.world_size; ++r)
      if (!impl_->store->check({"alive/" + std::to_string(r)}))
        lost += (lost.empty() ? "" : ", ") + std::to_string(r);
  } catch (const std::exception&) {
    lost = "0 (the rendezvous store in its process is gone)";
  }
  if (lost.empty()) lost = "unknown (every rank is still reachable)";
  throw CommError(
      fmt::format("rank {}: lost rank {} during {} ({}); the last checkpoint is kept: "
                  "restart the job to resume",
                  env_.rank, lost, what, first_line(e)));
}

void C10dCommunicator::all_reduce_sum(torch::Tensor& flat) {
  std::vector<at::Tensor> tensors{flat};
  try {
    impl_->group->allreduce(tensors)->wait();
  } catch (const std::exception& e) {
    fail("all-reduce", e);
  }
}

void C10dCommunicator::broadcast(torch::Tensor& tensor, int root) {
  if (root < 0 || root >= env_.world_size)
    throw std::invalid_argument(
        fmt::format("broadcast: root {} is not a rank of a group of {}", root, env_.world_size));
  std::vector<at::Tensor> tensors{tensor};
  c10d::BroadcastOptions o;
  o.rootRank = root;
  try {
    impl_->group->broadcast(tensors, o)->wait();
  } catch (const std::exception& e) {
    fail("broadcast", e);
  }
}

void C10dCommunicator::barrier() {
  // An all-reduce of one element on the collectives' device: NCCL's barrier wants device ids.
  auto t = torch::zeros({1}, torch::TensorOptions().device(options_.device));  // [1]
  all_reduce_sum(t);
}

void C10dCommunicator::broadcast_bytes(std::string& bytes, int root) {
  if (root < 0 || root >= env_.world_size)
    throw std::invalid_argument(
        fmt::format("broadcast_bytes: root {} is not a rank of a group "
                    "of {}",
                    root, env_.world_size));
  const std::string key = "bytes/" + std::to_string(impl_->bytes_seq++);
  try {
    if (env_.rank == root) {
      impl_->store->set(key, std::vector<uint8_t>(bytes.begin(), bytes.end()));
    } else {
      impl_->store->wait({key}, std::chrono::hours(24 * 365));
      std::vector<uint8_t> v = impl_->store->get(key);
      bytes.assign(v.begin(), v.end());
    }
  } catch (const std::exception& e) {
    fail("a broadcast from rank " + std::to_string(root), e);
  }
  barrier();
  if (env_.rank == root) impl_->store->deleteKey(key);
}

}  // namespace tinynmt
