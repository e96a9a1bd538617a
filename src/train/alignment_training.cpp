#include "train/alignment_training.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>

#include "data/batching.h"
#include "data/corpus.h"
#include "decode/translator.h"
#include "models/special_ids.h"
#include "run/checkpoint.h"
#include "run/run_dir.h"
#include "train/loss.h"
#include "util/runtime.h"

namespace tinynmt {
namespace {

/// The frozen model's teacher-forced pass (no gradients), for AlignmentLayerImpl::attend.
Seq2SeqOutput frozen_pass(Seq2SeqImpl& model, const torch::Tensor& src,
                          const torch::Tensor& tgt_in) {
  torch::NoGradGuard no_grad;
  return model.forward_features(src, tgt_in);
}

/// src/tgt line files encoded as `tinynmt align` encodes them (decode::encode_side); pairs with
/// an empty side are skipped.
EncodedCorpus encode_files(const LoadedModel& loaded, const std::string& src_file,
                           const std::string& tgt_file, bool tokenized) {
  if (src_file.empty() || tgt_file.empty())
    throw std::invalid_argument("train-alignment-layer: give both --src and --tgt");
  const auto src = read_lines(src_file);
  const auto tgt = read_lines(tgt_file);
  if (src.size() != tgt.size())
    throw std::runtime_error(fmt::format("{}: {} lines, but {} has {} lines", tgt_file, tgt.size(),
                                         src_file, src.size()));
  EncodedCorpus c;
  for (size_t i = 0; i < src.size(); ++i) {
    auto s = decode::encode_side(loaded.tokenizer.src(), src[i], tokenized);
    auto t = decode::encode_side(loaded.tokenizer.tgt(), tgt[i], tokenized);
    if (s.ids.empty() || t.ids.size() < 2) {
      ++c.dropped_empty;
      continue;
    }
    t.ids.pop_back();  // EncodedCorpus targets carry no EOS (make_batch adds BOS/EOS)
    c.src.push_back(std::move(s.ids));
    c.tgt.push_back(std::move(t.ids));
    c.origin.push_back(static_cast<int64_t>(i));
  }
  return c;
}

void check_options(const AlignmentTrainOptions& o) {
  if (o.max_minutes <= 0 && o.max_steps <= 0)
    throw std::invalid_argument("train-alignment-layer: give --minutes or --steps (both are 0)");
  if (!(o.lr > 0)) throw std::invalid_argument("train-alignment-layer: --lr must be > 0");
  if (o.log_every < 1)
    throw std::invalid_argument("train-alignment-layer: --log-every must be >= 1");
}

// The pairs to train on: --src/--tgt files when given, else the run's training corpus.
EncodedCorpus training_pairs(const LoadedModel& loaded, const AlignmentTrainOptions& o) {
  EncodedCorpus data;
  if (!o.src_file.empty() || !o.tgt_file.empty()) {
    data = encode_files(loaded, o.src_file, o.tgt_file, o.tokenized);
  } else {
    ParallelText text = read_parallel(loaded.config.data.train);
    data = encode_corpus(loaded.tokenizer, text, loaded.config.data.max_length);
  }
  if (data.size() == 0) throw std::runtime_error("train-alignment-layer: no training pairs");
  return data;
}

// Seconds left of the budget (time, steps or the sooner of both) after `done_steps` steps in
// `seconds`; the step budget is extrapolated at the speed so far.
double seconds_left(const AlignmentTrainOptions& o, double seconds, int64_t done_steps) {
  double left = 0;
  if (o.max_minutes > 0) left = 60.0 * o.max_minutes - seconds;
  if (o.max_steps > 0) {
    const double by_steps =
        seconds / static_cast<double>(done_steps) * static_cast<double>(o.max_steps - done_steps);
    left = o.max_minutes > 0 ? std::min(left, by_steps) : by_steps;
  }
  return left;
}

}  // namespace

AlignmentTrainResult train_alignment_layer(const LoadedModel& loaded, const std::string& run_dir,
                                           const AlignmentTrainOptions& o) {
  check_options(o);
  const Config& cfg = loaded.config;
  auto& model = *loaded.model;
  model.eval();
  for (auto& p : model.parameters()) p.set_requires_grad(false);
  auto output = model.output_layer();

  EncodedCorpus data = training_pairs(loaded, o);
  const int64_t batch_tokens = o.batch_tokens > 0 ? o.batch_tokens : cfg.training.batch_size;
  spdlog::info("alignment layer for {}: {} training pairs, batches of {} target tokens", run_dir,
               data.size(), batch_tokens);

  seed_everything(static_cast<uint64_t>(cfg.run.seed));
  AlignmentTrainResult res;
  res.path = o.out.empty() ? RunDir{run_dir}.alignment_layer_checkpoint() : o.out;
  TrainState before;
  AlignmentLayer layer =
      o.resume ? load_alignment_layer(loaded, res.path, &before) : make_alignment_layer(model);
  int64_t epoch0 = 0;
  double seconds0 = 0;
  if (o.resume) {
    res.steps = before.step;
    res.target_tokens = before.target_tokens;
    seconds0 = before.elapsed_seconds;
    epoch0 = before.epoch + 1;  // a new shuffle, not the batches seen first last time
    spdlog::info("resuming {} at step {}", res.path, res.steps);
  }
  layer->train();
  torch::optim::Adam opt(layer->parameters(), torch::optim::AdamOptions(o.lr));
  TokenBatcher batcher(data, batch_tokens, static_cast<uint64_t>(cfg.run.seed));

  const std::string note = fmt::format("alignment layer (Zenkel et al. 2019) for {} ({})",
                                       loaded.checkpoint, loaded.name);
  TrainState state;
  int64_t epoch = epoch0;
  auto save = [&] {
    state.epoch = epoch;
    state.step = res.steps;
    state.elapsed_seconds = seconds0 + res.seconds;
    state.target_tokens = res.target_tokens;
    save_checkpoint(res.path, *layer, nullptr, state, note);
  };
  const double t0 = now_seconds();
  const int64_t step0 = res.steps;
  double window_loss = 0, window_tokens = 0, window_t0 = t0;
  bool done = false;
  for (; !done; ++epoch) {
    for (const auto& idx : batcher.plan(epoch)) {
      Batch b = make_batch(data, idx).to(loaded.device);
      auto a = layer->attend(model, b.src, frozen_pass(model, b.src, b.tgt_in));
      auto sums = fused_output_label_smoothed_loss(a.context, output.weight, output.bias, b.tgt_out,
                                                   0.0, kPadId);
      opt.zero_grad();
      (sums.loss / static_cast<double>(b.num_tgt_tokens)).backward();
      opt.step();
      ++res.steps;
      res.target_tokens += b.num_tgt_tokens;
      window_tokens += static_cast<double>(b.num_tgt_tokens);
      window_loss += sums.nll.item<double>();
      res.seconds = now_seconds() - t0;
      const bool out_of_time = o.max_minutes > 0 && res.seconds >= 60.0 * o.max_minutes;
      const bool out_of_steps = o.max_steps > 0 && res.steps - step0 >= o.max_steps;
      done = out_of_time || out_of_steps;
      if (res.steps % o.log_every == 0 || done) {
        const double loss = window_loss / std::max(1.0, window_tokens);
        if (res.first_loss == 0) res.first_loss = loss;
        res.last_loss = loss;
        const double tok_s = window_tokens / std::max(1e-9, now_seconds() - window_t0);
        const double left = seconds_left(o, res.seconds, res.steps - step0);
        spdlog::info(
            "align-layer step {:>6} epoch {} loss {:.3f} {:.0f} tok/s elapsed {:.1f} min "
            "ETA {:.1f} min",
            res.steps, epoch, loss, tok_s, res.seconds / 60.0, std::max(0.0, left) / 60.0);
        save();
        window_loss = window_tokens = 0;
        window_t0 = now_seconds();
      }
      if (done) break;
    }
  }
  spdlog::info("wrote {} ({} steps, {:.1f} min, loss {:.3f} -> {:.3f})", res.path, res.steps,
               res.seconds / 60.0, res.first_loss, res.last_loss);
  return res;
}

}  // namespace tinynmt
