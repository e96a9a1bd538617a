// RUN_DIR/report.html, the training run's own page, rewritten at each validation: the curves of
// metrics.jsonl (training loss, tokens/s, learning rate; validation loss, BLEU, chrF) as inline
// SVG, and the attention of the first training.report_sentences dev sentences as it was at each
// validation -- forced decoding of the reference (decode::force_align), so every validation's
// matrices have the same shape -- with a slider over the validations (align/attention_page.h).
// The records accumulate in RUN_DIR/report_attention.jsonl, so a resumed run keeps its history.
// JoeyNMT stores attention plots at validation; this makes them one page.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "align/curves_svg.h"
#include "run/load_model.h"
#include "run/run_dir.h"

namespace tinynmt {

/// The curves of a metrics.jsonl (train/metrics_log.h records). Throws std::runtime_error naming
/// the file and line on a line that is not JSON; a missing file gives empty series.
std::vector<align::CurveSeries> metrics_curves(const std::string& metrics_path);

/// The model being trained seen as a loaded one, for decode::force_align: it shares the
/// weights (no copy); its name is the run directory's.
LoadedModel training_view(const Config& cfg, const Tokenizer& tok,
                          std::shared_ptr<Seq2SeqImpl> model, const torch::Device& device,
                          const std::string& run_dir);

/// Aligns the first `n` of `srcs`/`refs` (raw dev sentences) with `model` at training step
/// `step`: the model is put in eval mode for the pass and back in training mode after. Appends
/// the records, each with its "step", to RUN_DIR/report_attention.jsonl and rewrites
/// RUN_DIR/report.html. Nothing happens for n <= 0.
/// Throws std::runtime_error when a file cannot be written.
void update_run_report(const RunDir& dir, int64_t step, const LoadedModel& model,
                       const std::vector<std::string>& srcs, const std::vector<std::string>& refs,
                       int64_t n);

/// Rewrites RUN_DIR/report.html from RUN_DIR/report_attention.jsonl and RUN_DIR/metrics.jsonl.
/// Throws std::runtime_error naming the file and line of a malformed record.
void write_run_report(const RunDir& dir, const std::string& title);

}  // namespace tinynmt
