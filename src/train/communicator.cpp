#include "train/communicator.h"

#include <stdexcept>
#include <string>

namespace tinynmt {

namespace {
void check_root(int root) {
  if (root != 0)
    throw std::invalid_argument("broadcast: root " + std::to_string(root) +
                                " is not a rank of a single-process group (only rank 0)");
}
}  // namespace

void SingleProcessCommunicator::broadcast(torch::Tensor&, int root) { check_root(root); }

void SingleProcessCommunicator::broadcast_bytes(std::string&, int root) { check_root(root); }

}  // namespace tinynmt
