#include "train/validation.h"

#include <algorithm>
#include <cmath>

#include "data/corpus.h"
#include "decode/search.h"
#include "eval/bleu.h"
#include "eval/chrf.h"
#include "train/train_step.h"

namespace tinynmt {
namespace {

/// Teacher-forced loss over the whole dev set, nats per target token (0 when it has none).
double dev_loss(Seq2SeqImpl& model, const DevSet& dev, const Config& cfg,
                const torch::Device& device) {
  double nll = 0;
  int64_t tokens = 0;
  for (const auto& idx : plan_decode_batches(dev.encoded.src_lengths(), 256,
                                             std::max<int64_t>(cfg.training.batch_size, 512))) {
    Batch b = make_batch(dev.encoded, idx).to(device);
    auto sums = teacher_forced_loss(model, b, 0.0);
    nll += sums.nll.item<double>();
    tokens += b.num_tgt_tokens;
  }
  return tokens ? nll / tokens : 0;
}

/// Greedy translations (detokenised) of the first `n` dev sentences, in dev order.
std::vector<std::string> dev_translations(Seq2SeqImpl& model, const DevSet& dev,
                                          const Tokenizer& tok, const Config& cfg,
                                          const torch::Device& device, int64_t n) {
  std::vector<int64_t> lengths(dev.encoded.src.size());
  for (int64_t i = 0; i < n; ++i) lengths[i] = static_cast<int64_t>(dev.encoded.src[i].size());
  lengths.resize(n);
  std::vector<std::string> hyps(n);
  for (const auto& idx : plan_decode_batches(lengths, cfg.decoding.batch_size)) {
    Batch b = make_batch(dev.encoded.src, nullptr, idx).to(device);
    decode::SearchOptions so;  // greedy
    so.beam = 1;
    so.alpha = 0.0;
    so.max_len_ratio = cfg.decoding.max_len_ratio;
    auto hyp = decode::search(model, b.src, b.src_mask, so);
    for (size_t k = 0; k < idx.size(); ++k) hyps[idx[k]] = tok.decode_tgt(hyp[k].front().tokens);
  }
  return hyps;
}

}  // namespace

DevSet load_dev_set(const CorpusFiles& files, const Tokenizer& tok) {
  ParallelText dev_text = read_parallel(files);
  DevSet d;
  d.encoded = encode_corpus(tok, dev_text, 0);
  for (auto i : d.encoded.origin) {
    d.refs.push_back(dev_text.tgt[i]);
    d.srcs.push_back(dev_text.src[i]);
  }
  return d;
}

Validation validate_model(Seq2SeqImpl& model, const DevSet& dev, const Tokenizer& tok,
                          const Config& cfg, const torch::Device& device) {
  torch::NoGradGuard no_grad;
  model.eval();
  Validation v;
  v.loss = dev_loss(model, dev, cfg, device);
  v.ppl = std::exp(v.loss);
  // Greedy BLEU / chrF on (a prefix of) the dev set.
  int64_t n = static_cast<int64_t>(dev.encoded.size());
  if (cfg.training.validate_max_sentences > 0) n = std::min(n, cfg.training.validate_max_sentences);
  std::vector<std::string> hyps = dev_translations(model, dev, tok, cfg, device, n);
  std::vector<std::string> refs(dev.refs.begin(), dev.refs.begin() + n);
  v.sentences = n;
  if (n > 0) {
    v.bleu = eval::corpus_bleu(hyps, refs).score;
    v.chrf = eval::corpus_chrf(hyps, refs).score;
  }
  model.train();
  return v;
}

double metric_value(const Validation& v, const std::string& metric) {
  return metric == "bleu" ? v.bleu : metric == "chrf" ? v.chrf : metric == "loss" ? v.loss : v.ppl;
}

bool higher_is_better(const std::string& metric) { return metric == "bleu" || metric == "chrf"; }

}  // namespace tinynmt
