// `tinynmt config --reference`: prints the config reference (every key, its type, default,
// choices or range and meaning) as Markdown, the text of docs/config.md.
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "config/config_reference.h"

namespace tinynmt::cli {

Command add_config_command(CLI::App& app) {
  auto* sub = app.add_subcommand("config", "Print the config reference (docs/config.md)");
  auto reference = std::make_shared<bool>(false);
  sub->add_flag("--reference", *reference,
                "Every config key with its type, default, choices or range and meaning, as "
                "Markdown");
  return {sub, [reference] {
            if (!*reference) throw UsageError("config: give --reference (see config --help)");
            std::cout << config_reference_markdown();
            return 0;
          }};
}

}  // namespace tinynmt::cli
