// `tinynmt export`: writes a trained run in another engine's format, for side-by-side decoding.
//   tinynmt export --format ctranslate2|joeynmt --model RUN_DIR --out OUT_DIR [--checkpoint FILE]
// CTranslate2 (Transformers) and JoeyNMT (RNNs) are peers (scripts/install_peers.sh), not
// dependencies of tinynmt.
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "export/ctranslate2_export.h"
#include "export/joeynmt_export.h"

namespace tinynmt::cli {
namespace {

struct ExportArgs {
  std::string format = "ctranslate2";
  exporting::PeerExportOptions peer;
};

int run(const ExportArgs& a) {
  const auto& o = a.peer;
  if (a.format == "ctranslate2") {
    exporting::export_ctranslate2(o);
    std::cout << fmt::format(
        "exported {} to {} (CTranslate2 model and SentencePiece model)\n"
        "translate with: ctranslate2.Translator(\"{}\").translate_batch(pieces, beam_size=5)\n",
        o.run_dir, o.out, o.out);
  } else if (a.format == "joeynmt") {
    exporting::export_joeynmt(o);
    std::cout << fmt::format(
        "exported {} to {} (JoeyNMT config.yaml, vocab.txt, model.ckpt, SentencePiece model)\n"
        "translate with: scripts/joeynmt_translate.py {} --beam 5 --input SRC --output HYP\n",
        o.run_dir, o.out, o.out);
  } else {
    throw UsageError(
        fmt::format("export: --format {}: unknown (choices: ctranslate2, joeynmt)", a.format));
  }
  return 0;
}

}  // namespace

Command add_export_command(CLI::App& app) {
  auto args = std::make_shared<ExportArgs>();
  Command c;
  c.app = app.add_subcommand(
      "export",
      "export a run to another engine's format: a Transformer to CTranslate2, an RNN to JoeyNMT");
  auto* sub = c.app;
  sub->add_option("--format", args->format, "ctranslate2 | joeynmt")->capture_default_str();
  sub->add_option("--model", args->peer.run_dir, "run directory (checkpoints, SentencePiece model)")
      ->required();
  sub->add_option("--checkpoint", args->peer.checkpoint, "best, last or a checkpoint file")
      ->capture_default_str();
  sub->add_option("--out", args->peer.out, "output directory (the peer's model)")->required();
  sub->add_option("--quantization", args->peer.quantization,
                  "CTranslate2: store weights as int8, int8_float32, int16, float16, bfloat16... "
                  "(default: float32; CTranslate2 can also quantize when it loads a model)");
  sub->add_flag("--force", args->peer.force, "replace a non-empty --out directory");
  c.run = [args] { return run(*args); };
  return c;
}

}  // namespace tinynmt::cli
