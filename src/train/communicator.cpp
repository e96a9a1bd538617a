#include "train/communicator.h"

#include <stdexcept>
#include <string>

namespace tinynmt {

void SingleProcessCommunicator::broadcast(torch::Tensor&, int root) {
  if (root != 0)
    throw std::invalid_argument("broadcast: root " + std::to_string(root) +
                                " is not a rank of a single-process group (only rank 0)");
}

}  // namespace tinynmt
