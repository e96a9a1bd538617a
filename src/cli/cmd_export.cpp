// `tinynmt export`: writes a trained run in another engine's format, for side-by-side decoding.
//   tinynmt export --format ctranslate2 --model RUN_DIR --out OUT_DIR [--checkpoint FILE]
// CTranslate2 is a peer (scripts/install_peers.sh ctranslate2), not a dependency of tinynmt.
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "export/ctranslate2_export.h"

namespace tinynmt::cli {
namespace {

struct ExportArgs {
  std::string format = "ctranslate2";
  exporting::CTranslate2ExportOptions ct2;
};

int run(const ExportArgs& a) {
  if (a.format != "ctranslate2")
    throw UsageError(fmt::format("export: --format {}: unknown (choices: ctranslate2)", a.format));
  exporting::export_ctranslate2(a.ct2);
  std::cout << fmt::format(
      "exported {} to {} (CTranslate2 model and SentencePiece model)\n"
      "translate with: ctranslate2.Translator(\"{}\").translate_batch(pieces, beam_size=5)\n",
      a.ct2.run_dir, a.ct2.out, a.ct2.out);
  return 0;
}

}  // namespace

Command add_export_command(CLI::App& app) {
  auto args = std::make_shared<ExportArgs>();
  Command c;
  c.app = app.add_subcommand("export",
                             "export a Transformer run to another engine's format (CTranslate2)");
  auto* sub = c.app;
  sub->add_option("--format", args->format, "ctranslate2")->capture_default_str();
  sub->add_option("--model", args->ct2.run_dir, "run directory (checkpoints, SentencePiece model)")
      ->required();
  sub->add_option("--checkpoint", args->ct2.checkpoint, "best, last or a checkpoint file")
      ->capture_default_str();
  sub->add_option("--out", args->ct2.out, "output directory (the CTranslate2 model)")->required();
  sub->add_option("--quantization", args->ct2.quantization,
                  "store weights as int8, int8_float32, int16, float16, bfloat16... (default: "
                  "float32; CTranslate2 can also quantize when it loads a model)");
  sub->add_flag("--force", args->ct2.force, "replace a non-empty --out directory");
  c.run = [args] { return run(*args); };
  return c;
}

}  // namespace tinynmt::cli
