// The config reference (docs/config.md): every key of the field table that parses configs, with
// its type, default, choices or range and meaning. `tinynmt config --reference` prints it.
#pragma once

#include <string>

namespace tinynmt {

/// The reference as Markdown: one table per top-level section (run, data, model, training,
/// decoding), keys in the order of the resolved config. Deterministic (no dates, no paths).
std::string config_reference_markdown();

}  // namespace tinynmt
