// The error type of the attention modules and their table: plain C++, so that src/config can
// catch it without including LibTorch.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace tinynmt {

/// A bad argument to an attention module or its table (models/attention/registry.h): an unknown
/// type, sizes that cannot work together, or tensors of the wrong shape. `parameter` names the
/// AttentionConfig field at fault ("type", "query_dim", "key_dim", "heads", "window"), or "" for
/// tensor shapes, so that a caller that knows where the value came from (src/config) can name
/// its own key; the message itself names only the module's parameters.
class AttentionError : public std::invalid_argument {
 public:
  AttentionError(std::string parameter, const std::string& message)
      : std::invalid_argument(message), parameter_(std::move(parameter)) {}
  const std::string& parameter() const { return parameter_; }

 private:
  std::string parameter_;
};

}  // namespace tinynmt
