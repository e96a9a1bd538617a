// `tinynmt evaluate`: corpus BLEU and chrF of a hypothesis file against a reference file
// (sacreBLEU-compatible, with signatures), or AER of Pharaoh alignments against gold links.
#include <fmt/format.h>

#include <array>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "align/pharaoh.h"
#include "cli/commands.h"
#include "eval/aer.h"
#include "eval/bleu.h"
#include "eval/chrf.h"

namespace tinynmt::cli {
namespace {

struct EvaluateArgs {
  std::string ref, hyp;
  bool aer = false;
  std::string gold, pred;
  bool one_based = false;
  bool pred_one_based = false;
  bool swap_pred = false;
  std::string by_length;
  bool json = false;
  bool sentence = false;
};

std::vector<std::string> read_lines(const std::string& path, const char* what) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot open {} file", path, what));
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
  }
  return lines;
}

int run_bleu(const EvaluateArgs& a) {
  if (a.ref.empty() || a.hyp.empty()) {
    throw UsageError("evaluate: --ref and --hyp are required (or --aer --gold F --pred F)");
  }
  const auto refs = read_lines(a.ref, "reference");
  const auto hyps = read_lines(a.hyp, "hypothesis");
  if (refs.size() != hyps.size()) {
    throw std::runtime_error(fmt::format("{}: {} lines, but reference {} has {} lines", a.hyp,
                                         hyps.size(), a.ref, refs.size()));
  }
  const auto bleu = eval::corpus_bleu(hyps, refs);
  const auto chrf = eval::corpus_chrf(hyps, refs);
  if (a.json) {
    nlohmann::json j;
    j["bleu"] = bleu.score;
    j["bleu_precisions"] = bleu.precisions;
    j["bp"] = bleu.bp;
    j["ratio"] = bleu.ratio;
    j["sys_len"] = bleu.sys_len;
    j["ref_len"] = bleu.ref_len;
    j["bleu_signature"] = bleu.signature;
    j["chrf"] = chrf.score;
    j["chrf_signature"] = chrf.signature;
    j["lines"] = hyps.size();
    if (a.sentence) {
      nlohmann::json s = nlohmann::json::array();
      for (size_t i = 0; i < hyps.size(); ++i)
        s.push_back(eval::sentence_bleu(hyps[i], refs[i]).score);
      j["sentence_bleu"] = s;
    }
    std::cout << j.dump(1) << "\n";
    return 0;
  }
  if (a.sentence) {
    for (size_t i = 0; i < hyps.size(); ++i) {
      const auto s = eval::sentence_bleu(hyps[i], refs[i]);
      const auto c = eval::sentence_chrf(hyps[i], refs[i]);
      std::cout << fmt::format("{}\tBLEU {:.2f}\tchrF2 {:.2f}\n", i, s.score, c.score);
    }
  }
  std::cout << bleu.format() << "\n";
  std::cout << "BLEU signature: " << bleu.signature << "\n";
  std::cout << chrf.format() << "\n";
  std::cout << "chrF2 signature: " << chrf.signature << "\n";
  return 0;
}

int run_aer(const EvaluateArgs& a) {
  if (a.gold.empty() || a.pred.empty()) {
    throw UsageError("evaluate --aer: --gold and --pred are required");
  }
  const auto gold = eval::read_gold_file(a.gold, a.one_based);
  auto pred = align::read_pharaoh_file(a.pred, a.pred_one_based);
  if (gold.size() != pred.size()) {
    throw std::runtime_error(fmt::format("{}: {} lines, but gold {} has {} lines", a.pred,
                                         pred.size(), a.gold, gold.size()));
  }
  if (a.swap_pred) {
    for (auto& s : pred) s = align::invert(s);
  }
  const auto r = eval::compute_aer(gold, pred);
  // --by-length: the same figures per bucket of source sentence length (words).
  struct Bucket {
    int lo, hi;
    eval::AerResult r;
  };
  std::vector<Bucket> buckets;
  if (!a.by_length.empty()) {
    const auto src = read_lines(a.by_length, "source");
    if (src.size() != gold.size()) {
      throw std::runtime_error(fmt::format("{}: {} lines, but gold {} has {} lines", a.by_length,
                                           src.size(), a.gold, gold.size()));
    }
    constexpr std::array<std::pair<int, int>, 4> kBuckets = {
        {{1, 8}, {9, 16}, {17, 25}, {26, 1 << 30}}};
    std::array<std::vector<eval::GoldAlignment>, kBuckets.size()> g;
    std::array<std::vector<align::Alignment>, kBuckets.size()> p;
    for (size_t k = 0; k < src.size(); ++k) {
      std::istringstream words(src[k]);
      const auto n = std::distance(std::istream_iterator<std::string>(words),
                                   std::istream_iterator<std::string>());
      for (size_t q = 0; q < kBuckets.size(); ++q) {
        if (n < kBuckets[q].first || n > kBuckets[q].second) continue;
        g[q].push_back(gold[k]);
        p[q].push_back(pred[k]);
      }
    }
    for (size_t q = 0; q < kBuckets.size(); ++q)
      if (!g[q].empty())
        buckets.push_back({kBuckets[q].first, kBuckets[q].second, eval::compute_aer(g[q], p[q])});
  }
  const auto bucket_name = [](const Bucket& b) {
    return b.hi == (1 << 30) ? fmt::format("{}+", b.lo) : fmt::format("{}-{}", b.lo, b.hi);
  };
  if (a.json) {
    nlohmann::json j = {{"aer", r.aer},
                        {"precision", r.precision},
                        {"recall", r.recall},
                        {"predicted", r.predicted},
                        {"sure", r.sure},
                        {"possible", r.possible},
                        {"hit_sure", r.hit_sure},
                        {"hit_possible", r.hit_possible},
                        {"sentences", r.sentences}};
    for (const auto& b : buckets)
      j["by_length"][bucket_name(b)] = {{"aer", b.r.aer},
                                        {"precision", b.r.precision},
                                        {"recall", b.r.recall},
                                        {"sentences", b.r.sentences}};
    std::cout << j.dump(1) << "\n";
    return 0;
  }
  std::cout << fmt::format("AER = {:.4f} precision = {:.4f} recall = {:.4f}\n", r.aer, r.precision,
                           r.recall);
  std::cout << fmt::format(
      "(sentences = {} |A| = {} |S| = {} |P| = {} |A∩S| = {} |A∩P| = {}; Och & Ney 2003)\n",
      r.sentences, r.predicted, r.sure, r.possible, r.hit_sure, r.hit_possible);
  for (const auto& b : buckets)
    std::cout << fmt::format(
        "source words {:>5}: {:4d} sentences AER = {:.4f} precision = {:.4f} "
        "recall = {:.4f}\n",
        bucket_name(b), b.r.sentences, b.r.aer, b.r.precision, b.r.recall);
  return 0;
}

}  // namespace

Command add_evaluate_command(CLI::App& app) {
  auto args = std::make_shared<EvaluateArgs>();
  Command c;
  c.app = app.add_subcommand(
      "evaluate",
      "BLEU and chrF of a hypothesis file (sacreBLEU-compatible), or AER of word alignments");
  auto* sub = c.app;
  sub->add_option("--ref", args->ref, "reference file, one sentence per line (detokenised)");
  sub->add_option("--hyp", args->hyp, "hypothesis file, one sentence per line (detokenised)");
  sub->add_flag("--sentence", args->sentence, "also print sentence-level BLEU and chrF per line");
  sub->add_flag("--aer", args->aer, "score word alignments instead: needs --gold and --pred");
  sub->add_option("--gold", args->gold,
                  "gold alignments: one line per sentence, i-j (sure) and ipj (possible)");
  sub->add_flag("--one-based", args->one_based, "gold indices start at 1 (the Hansards set)");
  sub->add_option("--pred", args->pred, "predicted alignments, Pharaoh i-j (0-based src-tgt)");
  sub->add_flag("--pred-one-based", args->pred_one_based, "predicted indices start at 1");
  sub->add_flag("--swap-pred", args->swap_pred,
                "swap i and j of the predictions (model translated the gold's target side)");
  sub->add_option("--by-length", args->by_length,
                  "with --aer: also per source length bucket (1-8, 9-16, 17-25, 26+ words); the "
                  "argument is the tokenised source file, line-aligned with --gold");
  sub->add_flag("--json", args->json, "print the figures as JSON");
  c.run = [args] { return args->aer ? run_aer(*args) : run_bleu(*args); };
  return c;
}

}  // namespace tinynmt::cli
