// The config's table of fields: one row per key path (type, how to read and write it in a
// Config, choices, range), in the order of the resolved config. Internal to src/config.
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "config/config.h"

namespace tinynmt::config_fields {

enum class Kind { kInt, kFloat, kBool, kString };

struct Field {
  std::string path;
  Kind kind;
  std::function<void(Config&, const YAML::Node&)> set;  // throws YAML::BadConversion
  std::function<YAML::Node(const Config&)> get;
  std::vector<std::string> choices;  // strings only; empty = free
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  std::string doc;  // one sentence for the config reference (config_field_docs.cpp)
};

/// "an integer", "a number", "true or false", "a string" (for error messages).
const char* kind_name(Kind k);

/// The table (built once): run, data, model, training, decoding keys, in that order.
const std::vector<Field>& fields();

/// Fills every field's `doc`. Throws std::logic_error naming a field without a description, or
/// when a description names a key the table lacks (config_field_docs.cpp).
void attach_docs(std::vector<Field>& table);

}  // namespace tinynmt::config_fields
