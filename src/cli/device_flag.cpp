#include "cli/commands.h"
#include "util/runtime.h"

namespace tinynmt::cli {

void check_device_flag(const std::string& device) {
  if (!device.empty()) resolve_device(device);
}

}  // namespace tinynmt::cli
