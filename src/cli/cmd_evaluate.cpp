// `tinynmt evaluate`: not built yet.
#include <iostream>

#include "cli/commands.h"

namespace tinynmt::cli {

Command add_evaluate_command(CLI::App& app) {
  Command c;
  c.app = app.add_subcommand("evaluate", "(not built yet)");
  c.app->allow_extras();
  c.run = [] {
    std::cerr << "error: 'tinynmt evaluate' is not built yet\n";
    return 2;
  };
  return c;
}

}  // namespace tinynmt::cli
