// `tinynmt align`: forced (teacher-forced) decoding of given sentence pairs with a trained run.
// Writes
//   PREFIX.jsonl  one attention record per pair (align/attention_io.h): subword tokens and words
//                 of both sides, the subword matrix of every decoder layer and head (EOS row and
//                 column included), the word-level matrices (EOS/BOS excluded; rows averaged over
//                 a target word's pieces, columns summed over a source word's pieces), and the
//                 hard alignment as a Pharaoh line in "alignment"; with --self-attention also
//                 the encoder and decoder self-attention (subword and word level);
//   PREFIX.align  the hard word alignments, Pharaoh format (0-based src-tgt pairs), one line per
//                 pair; an empty line for a pair with an empty side (with --pharaoh-only, the
//                 only file: aligning a whole corpus, as fast_align or eflomal would);
//   with --npy, per pair N (0-based, 4 digits): PREFIX.NNNN.subword.npy, float32 of shape
//                 [layers, heads, tgt_tokens, src_tokens], and PREFIX.NNNN.word.npy, shape
//                 [layers, heads, tgt_words, src_words].
// The hard alignment is computed from the word-level matrix of --layer (default: mean over all
// decoder layers; for a model trained with guided alignment, its supervised layer and head) and
// --head (default: mean over heads): argmax source word per target word (argmax-null: none
// where the mass on EOS, the NULL word, is larger; the default for the supervised head of a model
// trained with training.guided_alignment.null_to_eos), or every pair with weight >= --threshold.
// With --shift the word-level matrices and the hard alignment use shift-att rows
// (AlignOptions::shift); the subword matrices stay as computed.
// With --reverse-model (a target->source run), both models align every pair, each read out as
// above, and the hard alignment is their soft symmetrisation (align::symmetrize_soft): the
// two directions' word-level weights averaged and thresholded at --threshold (0.5 unless given).
// PREFIX.jsonl and the .npy files then hold the forward model's records, with that alignment.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "align/attention_io.h"
#include "align/pharaoh.h"
#include "align/record_writer.h"
#include "align/selection.h"
#include "align/symmetrize.h"
#include "align/word_align.h"
#include "cli/commands.h"
#include "data/corpus.h"
#include "decode/attention_records.h"
#include "decode/translator.h"
#include "run/load_model.h"
#include "run/run_dir.h"
#include "train/guided_alignment.h"
#include "util/runtime.h"

namespace tinynmt::cli {
namespace {

struct AlignArgs {
  std::string model, reverse_model;
  std::string checkpoint = "best", reverse_checkpoint;
  std::string src, tgt, out;
  bool tokenized = false;
  std::string layer = "mean", head = "mean", method = "argmax";
  double threshold = 0.3;
  bool npy = false, shift = false, alignment_layer = false, self_attention = false;
  bool pharaoh_only = false;
  std::string alignment_layer_file;
  std::string device = "auto";
  int64_t threads = 0, batch_size = 32;
  CLI::Option* threads_opt = nullptr;
  CLI::Option* layer_opt = nullptr;
  CLI::Option* head_opt = nullptr;
  CLI::Option* method_opt = nullptr;
  CLI::Option* threshold_opt = nullptr;
};

// A model trained with guided alignment (Garg et al. 2019): links given and a weight above 0.
bool guided_model(const Config& cfg) {
  return !cfg.data.train.alignment.empty() && cfg.training.guided_alignment.weight > 0;
}

// The hard alignment's layer and head: --layer/--head when given; else the alignment layer
// (with --alignment-layer), the head a guided model was trained to align with
// (training.guided_alignment), or the mean.
std::pair<std::string, std::string> read_out(const AlignArgs& a, const Config& cfg,
                                             bool use_layer) {
  if (use_layer) return {a.layer_opt->count() ? a.layer : "-1", a.head};
  const bool given = a.layer_opt->count() || a.head_opt->count();
  if (!given && guided_model(cfg)) {
    const GuidedHead h = guided_head(cfg);
    return {std::to_string(h.layer), std::to_string(h.head)};
  }
  return {a.layer, a.head};
}

// The hard alignment's method: --method when given; else argmax-null for the supervised head of
// a model whose guided training put unlinked target pieces on the source EOS, argmax otherwise.
std::string method_of(const AlignArgs& a, const Config& cfg, bool use_layer) {
  if (a.method_opt->count() || use_layer || a.layer_opt->count() || a.head_opt->count())
    return a.method;
  return guided_model(cfg) && cfg.training.guided_alignment.null_to_eos ? "argmax-null" : a.method;
}

// The forced-alignment options for `model`: its read-out (read_out, method_of) and the flags.
decode::AlignOptions align_options(const AlignArgs& a, const LoadedModel& model, bool use_layer) {
  decode::AlignOptions opts;
  opts.tokenized = a.tokenized;
  const Config& c = model.config;
  std::tie(opts.layer, opts.head) = read_out(a, c, use_layer);
  if (guided_model(c) && c.training.guided_alignment.full_context)
    opts.guided_full_context = guided_head(c);
  opts.method = method_of(a, c, use_layer);
  opts.threshold = a.threshold;
  opts.batch_size = a.batch_size;
  opts.shift = a.shift;
  opts.self_attention = a.self_attention;
  opts.scores = false;  // the output layer's log-probabilities are not written
  try {                 // bad --layer/--head: a usage error before any work
    decode::force_align_encoded(model, {}, {}, opts);
  } catch (const std::invalid_argument& e) {
    throw UsageError(fmt::format("align: --{}", e.what()));
  }
  return opts;
}

// The reverse model and its options (--reverse-model), aligning target lines to source lines.
struct ReverseAligner {
  LoadedModel model;
  decode::AlignOptions options;
  float threshold = 0.5f;
};

// Replaces each forward result's links with the soft symmetrisation of the two directions' read
// out matrices (align::symmetrize_soft); pair k of `forward` is line first_line + k of the input.
void symmetrize_with_reverse(std::vector<decode::AlignResult>& forward,
                             const decode::AlignOptions& forward_options,
                             const ReverseAligner& reverse, const std::vector<std::string>& src,
                             const std::vector<std::string>& tgt, size_t first_line,
                             const std::string& src_path) {
  const auto back = decode::force_align(reverse.model, tgt, src, reverse.options,
                                        static_cast<int64_t>(first_line));
  for (size_t k = 0; k < forward.size(); ++k) {
    auto& r = forward[k];
    r.links.clear();
    if (!r.record.word.empty() && !back[k].record.word.empty()) {
      try {
        r.links = align::symmetrize_soft(
            align::select_layer_head(r.record.word, forward_options.layer, forward_options.head),
            align::select_layer_head(back[k].record.word, reverse.options.layer,
                                     reverse.options.head),
            reverse.threshold);
      } catch (const std::invalid_argument& e) {
        throw std::runtime_error(fmt::format("{}: line {}: {} (--tokenized splits both alike)",
                                             src_path, first_line + k + 1, e.what()));
      }
    }
    r.record.alignment = align::format_pharaoh(r.links);
  }
}

// The reverse model's checkpoint: --reverse-checkpoint, else --checkpoint when it names one of
// a run's checkpoints (best, last) rather than a file of the forward run.
std::string reverse_checkpoint(const AlignArgs& a) {
  if (!a.reverse_checkpoint.empty()) return a.reverse_checkpoint;
  if (a.checkpoint == "best" || a.checkpoint == "last") return a.checkpoint;
  throw UsageError(fmt::format(
      "align: --checkpoint {} is a file of the forward run: name the reverse run's with "
      "--reverse-checkpoint",
      a.checkpoint));
}

// The option combinations refused before any file is read (UsageError, exit 2).
void check_args(const AlignArgs& a) {
  try {
    align::parse_hard_alignment(a.method);
  } catch (const std::invalid_argument& e) {
    throw UsageError(fmt::format("align: --{}", e.what()));
  }
  if (a.batch_size < 1) throw UsageError("align: --batch-size must be >= 1");
  if (a.reverse_model.empty()) {
    if (!a.reverse_checkpoint.empty())
      throw UsageError("align: --reverse-checkpoint needs --reverse-model");
    return;
  }
  reverse_checkpoint(a);
  if (a.method_opt->count())
    throw UsageError(
        "align: --method does not apply with --reverse-model (the two directions' "
        "mean is thresholded at --threshold)");
  if (a.alignment_layer || !a.alignment_layer_file.empty())
    throw UsageError(
        "align: --reverse-model reads the models' own attention, not --alignment-layer");
}

int run(const AlignArgs& a) {
  check_args(a);
  const auto src = read_lines(a.src);
  const auto tgt = read_lines(a.tgt);
  if (src.size() != tgt.size()) {
    throw std::runtime_error(
        fmt::format("{}: {} lines, but {} has {} lines", a.tgt, tgt.size(), a.src, src.size()));
  }
  auto loaded = load_model(a.model, a.checkpoint, a.device);
  configure_threads(a.threads_opt->count() ? a.threads : loaded.config.run.threads);
  tune_allocator();  // decoding steps allocate the same large tensors again and again
  const bool use_layer = a.alignment_layer || !a.alignment_layer_file.empty();
  if (use_layer)
    loaded.alignment_layer = load_alignment_layer(
        loaded, a.alignment_layer_file.empty() ? RunDir{a.model}.alignment_layer_checkpoint()
                                               : a.alignment_layer_file);

  const decode::AlignOptions opts = align_options(a, loaded, use_layer);
  const std::string note = a.self_attention ? decode::self_attention_note(loaded.config.model) : "";
  if (!note.empty()) std::cerr << "note: --self-attention: " << note << '\n';
  std::optional<ReverseAligner> reverse;
  if (!a.reverse_model.empty()) {
    reverse.emplace(
        ReverseAligner{load_model(a.reverse_model, reverse_checkpoint(a), a.device), {}});
    reverse->options = align_options(a, reverse->model, false);
    reverse->options.self_attention = false;
    if (a.threshold_opt->count()) reverse->threshold = static_cast<float>(a.threshold);
  }

  const auto parent = std::filesystem::path(a.out).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  const std::string jsonl_path = a.out + ".jsonl", align_path = a.out + ".align";
  std::vector<std::unique_ptr<align::RecordWriter>> writers;
  if (!a.pharaoh_only) writers.push_back(align::make_record_writer("jsonl", jsonl_path));
  writers.push_back(align::make_record_writer("pharaoh", align_path));
  if (a.npy) writers.push_back(align::make_record_writer("npy", a.out));

  const size_t chunk = static_cast<size_t>(std::max<int64_t>(a.batch_size * 16, 256));
  const auto t0 = std::chrono::steady_clock::now();
  auto last_log = t0;
  const auto seconds = [](auto d) { return std::chrono::duration<double>(d).count(); };
  int64_t links = 0;
  for (size_t start = 0; start < src.size(); start += chunk) {
    const size_t end = std::min(src.size(), start + chunk);
    std::vector<std::string> s(src.begin() + start, src.begin() + end);
    std::vector<std::string> t(tgt.begin() + start, tgt.begin() + end);
    auto results = decode::force_align(loaded, s, t, opts, static_cast<int64_t>(start));
    if (reverse) symmetrize_with_reverse(results, opts, *reverse, s, t, start, a.src);
    for (const auto& r : results) {
      for (auto& w : writers) w->write(r.record);
      links += static_cast<int64_t>(r.links.size());
    }
    const auto now = std::chrono::steady_clock::now();
    if (end < src.size() && seconds(now - last_log) >= 10) {  // long corpora: a progress line
      spdlog::info("aligned {} of {} pairs ({:.0f} pairs/s)", end, src.size(),
                   static_cast<double>(end) / seconds(now - t0));
      last_log = now;
    }
  }
  for (auto& w : writers) w->close();
  const std::string read =
      reverse ? fmt::format(
                    "layer {}, head {} and reverse layer {}, head {}, "
                    "their mean >= {}",
                    opts.layer, opts.head, reverse->options.layer, reverse->options.head,
                    reverse->threshold)
              : fmt::format("layer {}, head {}, {}", opts.layer, opts.head, opts.method);
  std::cerr << fmt::format("aligned {} pairs in {:.1f} s ({} links; {}{}): {}{}{}\n", src.size(),
                           seconds(std::chrono::steady_clock::now() - t0), links, read,
                           opts.shift ? ", shift-att" : "", a.pharaoh_only ? "" : jsonl_path + " ",
                           align_path,
                           a.npy ? fmt::format(" {}.NNNN.{{subword,word}}.npy", a.out) : "");
  return 0;
}

}  // namespace

Command add_align_command(CLI::App& app) {
  auto args = std::make_shared<AlignArgs>();
  Command c;
  c.app = app.add_subcommand(
      "align",
      "forced decoding of sentence pairs: attention matrices (JSONL, .npy) and Pharaoh word "
      "alignments");
  auto* sub = c.app;
  sub->add_option("--model", args->model, "run directory (checkpoints, SentencePiece model)")
      ->required();
  sub->add_option("--checkpoint", args->checkpoint, "best, last or a checkpoint file")
      ->capture_default_str();
  sub->add_option("--src", args->src, "source sentences, one per line")->required();
  sub->add_option("--tgt", args->tgt, "target sentences, line-aligned with --src")->required();
  sub->add_option("--out", args->out, "output prefix: writes PREFIX.jsonl and PREFIX.align")
      ->required();
  sub->add_flag("--tokenized", args->tokenized,
                "input is space-separated words (as in gold alignment sets); each word is "
                "encoded on its own so subwords map back to these words exactly");
  args->layer_opt = sub->add_option(
      "--layer", args->layer,
      "decoder layer for the hard alignment: index (negative from the end) or mean; a model "
      "trained with guided alignment defaults to its supervised layer and head");
  args->layer_opt->capture_default_str();
  args->head_opt =
      sub->add_option("--head", args->head, "head for the hard alignment: index or mean");
  args->head_opt->capture_default_str();
  args->method_opt =
      sub->add_option("--method", args->method,
                      "argmax: best source word per target word; argmax-null: the same, none "
                      "where EOS (the NULL word) holds more (the default for a model trained with "
                      "training.guided_alignment.null_to_eos); threshold: all pairs >= T");
  args->method_opt->capture_default_str();
  args->threshold_opt =
      sub->add_option("--threshold", args->threshold,
                      "T for --method threshold (with --reverse-model: for the two directions' "
                      "mean, default 0.5)");
  args->threshold_opt->capture_default_str();
  sub->add_option("--reverse-model", args->reverse_model,
                  "a target->source run: link the word pairs whose weight, averaged over both "
                  "models' read-outs, is >= --threshold (soft symmetrisation)");
  sub->add_option("--reverse-checkpoint", args->reverse_checkpoint,
                  "the reverse run's checkpoint: best, last or a file (default: --checkpoint when "
                  "that is best or last)");
  sub->add_flag("--shift", args->shift,
                "shift-att (Chen et al. 2020): align target word t with the attention of the "
                "step whose decoder input is t (the step predicting t + 1); usually a much "
                "lower AER for Transformers");
  sub->add_flag("--alignment-layer", args->alignment_layer,
                "also read MODEL/alignment_layer.ckpt (`tinynmt train-alignment-layer`, Zenkel et "
                "al. 2019) and append its attention as the last layer; the hard alignment uses "
                "it unless --layer is given");
  sub->add_option("--alignment-layer-file", args->alignment_layer_file,
                  "as --alignment-layer, with the layer's checkpoint at this path");
  sub->add_flag("--self-attention", args->self_attention,
                "also write the encoder and decoder self-attention to PREFIX.jsonl (Transformer "
                "parts; RNN models have none: a note on stderr, records without it)");
  sub->add_flag("--npy", args->npy,
                "also write PREFIX.NNNN.subword.npy and PREFIX.NNNN.word.npy per pair "
                "(float32 [layers, heads, tgt, src])");
  sub->add_flag("--pharaoh-only", args->pharaoh_only,
                "write PREFIX.align only, no attention records (aligning a large corpus)");
  sub->add_option("--device", args->device, "auto, cpu, cuda or cuda:N")->capture_default_str();
  args->threads_opt =
      sub->add_option("--threads", args->threads, "CPU threads; 0 = all (default: run.threads)");
  sub->add_option("--batch-size", args->batch_size, "sentence pairs per forward pass")
      ->capture_default_str();
  c.run = [args] {
    check_device_flag(args->device);
    return run(*args);
  };
  return c;
}

}  // namespace tinynmt::cli
