// `tinynmt translate`: translates sentences given as arguments, stdin line by line (flushed after
// each line, so it works interactively and in pipes), or a file (batched), with greedy or beam
// search or, with --sample, ancestral sampling (temperature, top-k, top-p, seed); optionally
// prints n-best lists with scores and writes the attention of every output hypothesis as JSON
// Lines (with --self-attention also the encoder and decoder self-attention, from a forced pass
// over the output).
//
// Output: one detokenised line per input line. With --n-best N (given explicitly), instead
// up to N lines per input line, best first: INDEX<TAB>SCORE<TAB>NORMALIZED<TAB>TEXT, where INDEX
// is the 0-based input line, SCORE the sum of natural-log token probabilities (EOS included)
// and NORMALIZED the score divided by the length penalty (--length-penalty: GNMT's
// ((5 + |y|) / 6)^alpha, or |y|^alpha as CTranslate2 divides).
// --quantize int8 decodes with int8 weights in the output layer and the decoder's linear layers
// of at least kInt8MinWeights weights (models/int8_linear.h). --profile FILE records the
// decoding's LibTorch operators as a Chrome trace (summed per operator by
// scripts/profile_summary.py).
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <torch/csrc/autograd/profiler.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "align/record_writer.h"
#include "cli/commands.h"
#include "data/corpus.h"
#include "decode/attention_records.h"
#include "decode/translator.h"
#include "models/int8_linear.h"
#include "run/load_model.h"
#include "util/runtime.h"

namespace tinynmt::cli {
namespace {

struct TranslateArgs {
  std::string model;
  std::string checkpoint = "best";
  std::vector<std::string> sentences;
  std::string input, output, attention;
  std::string device = "auto";
  std::string quantize = "none";
  std::string profile;  // Chrome trace of the decoding (LibTorch's profiler), or ""
  int64_t beam = 0, n_best = 1, threads = 0, batch_size = 0, max_src_pieces = 0;
  double alpha = 0, max_len_ratio = 0;
  std::string length_penalty;
  bool sample = false, self_attention = false;
  decode::SamplingOptions sampling;
  // Which options were given (the others come from the run's config).
  CLI::Option *beam_opt = nullptr, *n_best_opt = nullptr, *alpha_opt = nullptr, *lp_opt = nullptr,
              *ratio_opt = nullptr, *threads_opt = nullptr, *batch_opt = nullptr,
              *max_src_opt = nullptr;
  std::vector<CLI::Option*> sampling_opts;  // --temperature, --top-k, --top-p, --seed
};

// The sampling flags: only with --sample, and in range.
void check_sampling(const TranslateArgs& a) {
  for (const CLI::Option* o : a.sampling_opts)
    if (o->count() && !a.sample)
      throw UsageError(fmt::format("translate: {} needs --sample", o->get_name()));
  if (!a.sample) return;
  if (a.n_best_opt->count() && a.n_best != 1)
    throw UsageError(fmt::format("translate: --n-best {} with --sample (it gives one)", a.n_best));
  const auto& s = a.sampling;
  if (!(s.temperature > 0))
    throw UsageError(fmt::format("translate: --temperature {} must be > 0", s.temperature));
  if (s.top_k < 0) throw UsageError(fmt::format("translate: --top-k {} < 0", s.top_k));
  if (!(s.top_p > 0 && s.top_p <= 1))
    throw UsageError(fmt::format("translate: --top-p {} must be in (0, 1]", s.top_p));
}

// Logs go to stderr: stdout carries the translations.
void log_to_stderr() {
  if (spdlog::get("tinynmt_stderr")) return;
  const auto level = spdlog::default_logger()->level();
  auto logger = spdlog::stderr_color_mt("tinynmt_stderr");
  logger->set_level(level);
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("[%H:%M:%S] %^%l%$ %v");
}

class Printer {
 public:
  Printer(std::ostream& out, bool n_best, align::RecordWriter* attention)
      : out_(out), n_best_(n_best), attention_(attention) {}

  void print(const decode::Translation& tr, int64_t index) {
    if (tr.truncated) {
      spdlog::warn("line {}: {} source pieces, truncated to the first {} (--max-src-pieces)",
                   index + 1, tr.src_pieces, max_src_pieces);
    }
    if (n_best_) {
      for (const auto& h : tr.hypotheses) {
        out_ << index << '\t' << fmt::format("{:.4f}\t{:.4f}", h.score, h.normalized_score) << '\t'
             << h.text << '\n';
      }
    } else {
      out_ << tr.hypotheses.front().text << '\n';
    }
    if (attention_) attention_->write(tr.attention);
  }
  void flush() {
    out_.flush();
    if (attention_) attention_->flush();
  }
  int64_t max_src_pieces = 0;

 private:
  std::ostream& out_;
  bool n_best_;
  align::RecordWriter* attention_;
};

// The run's decoding options (decoding.*) with the command line's on top; a bad value is a
// UsageError naming the flag.
decode::TranslateOptions options_of(const TranslateArgs& a, const Config& cfg) {
  decode::TranslateOptions opts = decode::translate_options_from(cfg);
  if (a.beam_opt->count()) opts.beam = a.beam;
  if (a.alpha_opt->count()) opts.alpha = a.alpha;
  if (a.lp_opt->count()) opts.length_penalty = decode::parse_length_penalty_form(a.length_penalty);
  if (a.ratio_opt->count()) opts.max_len_ratio = a.max_len_ratio;
  if (a.batch_opt->count()) opts.batch_size = a.batch_size;
  if (a.max_src_opt->count()) opts.max_src_pieces = a.max_src_pieces;
  opts.n_best = a.n_best;
  check_sampling(a);
  opts.sample = a.sample;
  opts.sampling = a.sampling;
  if (opts.sample) opts.beam = 1;  // unused by sampling; keeps the n-best rule below quiet
  if (opts.beam < 1) throw UsageError(fmt::format("translate: --beam {} must be >= 1", opts.beam));
  if (opts.n_best < 1) {
    throw UsageError(fmt::format("translate: --n-best {} must be >= 1", opts.n_best));
  }
  if (opts.n_best > opts.beam) {
    if (a.beam_opt->count()) {
      throw UsageError(
          fmt::format("translate: --n-best {} is larger than --beam {}", opts.n_best, opts.beam));
    }
    opts.beam = opts.n_best;  // the run's default beam is too small for the list asked for
  }
  if (opts.alpha < 0) throw UsageError(fmt::format("translate: --alpha {} < 0", opts.alpha));
  if (opts.max_len_ratio < 0) {
    throw UsageError(fmt::format("translate: --max-len-ratio {} < 0", opts.max_len_ratio));
  }
  if (opts.batch_size < 1) {
    throw UsageError(fmt::format("translate: --batch-size {} must be >= 1", opts.batch_size));
  }
  if (opts.max_src_pieces < 0) {
    throw UsageError(fmt::format("translate: --max-src-pieces {} < 0", opts.max_src_pieces));
  }
  return opts;
}

// --quantize int8: the model's larger linear products in int8 (CPU only).
void quantize_int8(LoadedModel& loaded) {
  if (!loaded.device.is_cpu())
    throw UsageError(fmt::format(
        "translate: --quantize int8 runs on the CPU only (the model is on {}; add --device cpu)",
        loaded.device.str()));
  spdlog::info("int8 weights: {}", loaded.model->quantize_int8());
}

// Arguments or a file: in chunks of many batches, so length sorting stays effective and output
// appears as it goes.
void translate_lines(decode::Translator& translator, const std::vector<std::string>& lines,
                     int64_t batch_size, Printer& printer) {
  const size_t chunk = static_cast<size_t>(std::max<int64_t>(batch_size * 16, 1024));
  for (size_t start = 0; start < lines.size(); start += chunk) {
    const size_t end = std::min(lines.size(), start + chunk);
    std::vector<std::string> part(lines.begin() + start, lines.begin() + end);
    auto trs = translator.translate(part, static_cast<int64_t>(start));
    for (size_t k = 0; k < trs.size(); ++k) printer.print(trs[k], static_cast<int64_t>(start + k));
    printer.flush();
  }
}

// stdin: one line at a time, answered at once.
void translate_stdin(decode::Translator& translator, Printer& printer) {
  std::string line;
  int64_t index = 0;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t bad = 0;
    if (!is_valid_utf8(line, &bad)) {
      throw DataError(fmt::format("stdin:{}: invalid UTF-8 at byte {}", index + 1, bad));
    }
    printer.print(translator.translate(line, index), index);
    printer.flush();
    ++index;
  }
}

int run(TranslateArgs& a) {
  log_to_stderr();
  if (!a.sentences.empty() && !a.input.empty()) {
    throw UsageError("translate: give sentences as arguments or --input FILE, not both");
  }
  if (a.model.empty()) throw UsageError("translate: --model RUN_DIR is required");
  if (a.quantize != "none" && a.quantize != "int8")
    throw UsageError(fmt::format("translate: --quantize {}: choose none or int8", a.quantize));
  if (a.self_attention && a.attention.empty())
    throw UsageError("translate: --self-attention needs --attention FILE");
  auto loaded = load_model(a.model, a.checkpoint, a.device);
  const Config& cfg = loaded.config;
  configure_threads(a.threads_opt->count() ? a.threads : cfg.run.threads);
  tune_allocator();  // decoding steps allocate the same large tensors again and again

  if (a.quantize == "int8") quantize_int8(loaded);
  decode::TranslateOptions opts = options_of(a, cfg);
  opts.capture_attention = !a.attention.empty();
  opts.self_attention = a.self_attention;
  const std::string note = a.self_attention ? decode::self_attention_note(cfg.model) : "";
  if (!note.empty()) std::cerr << "note: --self-attention: " << note << '\n';
  spdlog::info("{}: {} (step {}), {} on {}", a.model, loaded.checkpoint, loaded.state.step,
               opts.sample ? fmt::format("sampling (temperature {}, top-k {}, top-p {}, seed {})",
                                         a.sampling.temperature, a.sampling.top_k, a.sampling.top_p,
                                         a.sampling.seed)
               : opts.beam == 1 && opts.n_best == 1 ? std::string("greedy")
                                                    : fmt::format("beam {}", opts.beam),
               loaded.device.str());
  decode::Translator translator(loaded, opts);

  std::unique_ptr<align::RecordWriter> att_writer;
  if (!a.attention.empty()) att_writer = align::make_record_writer("jsonl", a.attention);
  std::ofstream out_file;
  if (!a.output.empty()) {
    out_file.open(a.output);
    if (!out_file) throw std::runtime_error(fmt::format("{}: cannot write", a.output));
  }
  std::ostream& out = a.output.empty() ? std::cout : out_file;
  Printer printer(out, a.n_best_opt->count() > 0, att_writer.get());
  printer.max_src_pieces = opts.max_src_pieces;

  std::optional<torch::autograd::profiler::RecordProfile> profiler;
  if (!a.profile.empty()) profiler.emplace(a.profile);  // written when it goes out of scope
  if (!a.sentences.empty() || !a.input.empty()) {
    const std::vector<std::string> lines = a.input.empty() ? a.sentences : read_lines(a.input);
    const auto t0 = std::chrono::steady_clock::now();
    translate_lines(translator, lines, opts.batch_size, printer);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    spdlog::info(
        "translated {} sentences in {:.3f} s ({:.1f} sentences/s), the model loaded before",
        lines.size(), s, static_cast<double>(lines.size()) / std::max(s, 1e-9));
    if (!a.output.empty()) spdlog::info("wrote {} translations to {}", lines.size(), a.output);
  } else {
    translate_stdin(translator, printer);
  }
  if (profiler) {
    profiler.reset();
    spdlog::info("profile of the decoding: {} (chrome://tracing; scripts/profile_summary.py)",
                 a.profile);
  }
  if (att_writer) {
    att_writer->close();
    spdlog::info("attention written to {}", a.attention);
  }
  return 0;
}

}  // namespace

Command add_translate_command(CLI::App& app) {
  auto args = std::make_shared<TranslateArgs>();
  Command c;
  c.app = app.add_subcommand(
      "translate",
      "translate sentences (arguments, stdin line by line, or --input FILE) with a trained run");
  auto* sub = c.app;
  sub->add_option("sentences", args->sentences,
                  "sentences to translate; none: read stdin line by line");
  sub->add_option("--model", args->model, "run directory (checkpoints, SentencePiece model)")
      ->required();
  sub->add_option("--checkpoint", args->checkpoint, "best, last or a checkpoint file")
      ->capture_default_str();
  sub->add_option("--input", args->input, "file to translate, one sentence per line (batched)");
  sub->add_option("--output", args->output, "write translations here instead of stdout");
  args->beam_opt = sub->add_option("--beam", args->beam,
                                   "beam size K; 1 = greedy (default: the run's decoding.beam)");
  args->alpha_opt = sub->add_option("--alpha", args->alpha,
                                    "length penalty exponent (default: the run's decoding.alpha)");
  args->lp_opt = sub->add_option("--length-penalty", args->length_penalty,
                                 "gnmt: score / ((5 + |y|) / 6)^alpha; average: score / |y|^alpha, "
                                 "as CTranslate2 (default: the run's decoding.length_penalty)")
                     ->check(CLI::IsMember({"gnmt", "average"}));
  args->n_best_opt = sub->add_option(
      "--n-best", args->n_best,
      "print the N best hypotheses per line as INDEX<TAB>SCORE<TAB>NORMALIZED<TAB>TEXT");
  args->ratio_opt = sub->add_option(
      "--max-len-ratio", args->max_len_ratio,
      "max output length = ratio * source tokens + 10 (default: the run's decoding.max_len_ratio)");
  args->max_src_opt =
      sub->add_option("--max-src-pieces", args->max_src_pieces,
                      "truncate longer inputs to this many pieces, with a warning; 0 = no limit "
                      "(default: the run's data.max_length)");
  sub->add_flag("--sample", args->sample,
                "ancestral sampling instead of greedy/beam search: each token drawn from the "
                "model's distribution (one output per line; --beam is ignored)");
  args->sampling_opts = {
      sub->add_option("--temperature", args->sampling.temperature,
                      "with --sample: divide the log-probs by T before drawing; < 1 sharper, "
                      "> 1 flatter")
          ->capture_default_str(),
      sub->add_option("--top-k", args->sampling.top_k,
                      "with --sample: draw only among the K most probable tokens (Fan et al. "
                      "2018); 0 = off")
          ->capture_default_str(),
      sub->add_option("--top-p", args->sampling.top_p,
                      "with --sample: draw only from the nucleus, the most probable tokens "
                      "holding probability P (Holtzman et al. 2020); 1 = off")
          ->capture_default_str(),
      sub->add_option("--seed", args->sampling.seed,
                      "with --sample: random seed; the same seed and input give the same output")
          ->capture_default_str()};
  sub->add_option("--attention", args->attention,
                  "write the attention of each output hypothesis to this JSON Lines file");
  sub->add_flag("--self-attention", args->self_attention,
                "with --attention: also the encoder and decoder self-attention of each output "
                "(Transformer parts; RNN models have none: a note on stderr, records without it)");
  sub->add_option("--device", args->device, "auto, cpu, cuda or cuda:N")->capture_default_str();
  sub->add_option("--quantize", args->quantize,
                  fmt::format("none, or int8: int8 weights for the output layer and the "
                              "decoder's linear layers of {} weights or more (LibTorch's "
                              "dynamic quantisation, CPU only)",
                              kInt8MinWeights))
      ->capture_default_str();
  sub->add_option("--profile", args->profile,
                  "write a Chrome trace of the decoding to FILE (LibTorch's profiler; slower)");
  args->threads_opt =
      sub->add_option("--threads", args->threads, "CPU threads; 0 = all (default: run.threads)");
  args->batch_opt = sub->add_option(
      "--batch-size", args->batch_size,
      "sentences per batch for --input and arguments (default: the run's decoding.batch_size)");
  c.run = [args] {
    check_device_flag(args->device);
    return run(*args);
  };
  return c;
}

}  // namespace tinynmt::cli
