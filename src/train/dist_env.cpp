#include "train/dist_env.h"

#include <fmt/format.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace tinynmt {
namespace {

int env_int(const char* name, int fallback, int min, int max) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  long n = std::strtol(v, &end, 10);
  if (*end != '\0' || n < min || n > max)
    throw std::invalid_argument(fmt::format(
        "environment variable {}='{}': expected an integer in {}..{}", name, v, min, max));
  return static_cast<int>(n);
}

}  // namespace

DistEnv read_dist_env() {
  DistEnv e;
  e.world_size = env_int("WORLD_SIZE", 1, 1, 1 << 20);
  e.rank = env_int("RANK", 0, 0, e.world_size - 1);
  e.local_world_size = env_int("LOCAL_WORLD_SIZE", 1, 1, e.world_size);
  e.local_rank = env_int("LOCAL_RANK", 0, 0, e.local_world_size - 1);
  e.master_port = env_int("MASTER_PORT", e.master_port, 1, 65535);
  if (const char* a = std::getenv("MASTER_ADDR"); a != nullptr && *a != '\0') e.master_addr = a;
  const char* agent = std::getenv("TORCHELASTIC_USE_AGENT_STORE");
  e.agent_store = agent != nullptr && std::string(agent) == "True";
  e.restart_count = env_int("TORCHELASTIC_RESTART_COUNT", 0, 0, 1 << 20);
  return e;
}

}  // namespace tinynmt
