// `tinynmt symmetrize`: combines the word alignments of a source->target model and of a
// target->source model of the same sentence pairs (each written by `tinynmt align`) into one
// alignment with intersection, union or the grow-diag(-final(-and)) heuristics
// (align/symmetrize.h). Output: Pharaoh, source-target, one line per pair.
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "align/pharaoh.h"
#include "align/symmetrize.h"
#include "cli/commands.h"

namespace tinynmt::cli {
namespace {

struct SymmetrizeArgs {
  std::string forward, reverse, out;
  std::string method = "grow-diag-final-and";
  bool same_orientation = false;
};

int run(const SymmetrizeArgs& a) {
  align::SymmetrizeMethod method;
  try {
    method = align::parse_symmetrize_method(a.method);
  } catch (const std::invalid_argument& e) {
    throw UsageError(fmt::format("symmetrize: --method: {}", e.what()));
  }
  const auto fwd = align::read_pharaoh_file(a.forward);
  const auto rev = align::read_pharaoh_file(a.reverse);
  if (fwd.size() != rev.size()) {
    throw std::runtime_error(fmt::format("{}: {} lines, but --forward {} has {} lines", a.reverse,
                                         rev.size(), a.forward, fwd.size()));
  }
  std::vector<align::Alignment> out;
  out.reserve(fwd.size());
  size_t links = 0;
  for (size_t k = 0; k < fwd.size(); ++k) {
    out.push_back(
        align::symmetrize(fwd[k], a.same_orientation ? rev[k] : align::invert(rev[k]), method));
    links += out.back().size();
  }
  align::write_pharaoh_file(a.out, out);
  std::cerr << fmt::format("symmetrized {} pairs with {}: {} links -> {}\n", out.size(), a.method,
                           links, a.out);
  return 0;
}

}  // namespace

Command add_symmetrize_command(CLI::App& app) {
  auto args = std::make_shared<SymmetrizeArgs>();
  Command c;
  c.app = app.add_subcommand(
      "symmetrize",
      "combine the alignments of a source->target and a target->source model (grow-diag-final-"
      "and, intersection, ...)");
  auto* sub = c.app;
  sub->add_option("--forward", args->forward,
                  "Pharaoh file of the source->target model (`tinynmt align` .align)")
      ->required();
  sub->add_option("--reverse", args->reverse,
                  "Pharaoh file of the target->source model on the same pairs, as that model "
                  "wrote it (its links are target-source; they are inverted on reading)")
      ->required();
  sub->add_option("--out", args->out, "output Pharaoh file (source-target)")->required();
  sub->add_option("--method", args->method, align::symmetrize_method_names())
      ->capture_default_str();
  sub->add_flag("--same-orientation", args->same_orientation,
                "--reverse is already source-target (e.g. fast_align -r output): do not invert");
  c.run = [args] { return run(*args); };
  return c;
}

}  // namespace tinynmt::cli
