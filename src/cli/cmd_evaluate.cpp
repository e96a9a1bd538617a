// `tinynmt evaluate`: corpus BLEU and chrF of a hypothesis file against a reference file
// (sacreBLEU-compatible, with signatures), or AER of Pharaoh alignments against gold links.
#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "align/pharaoh.h"
#include "cli/commands.h"
#include "eval/aer.h"
#include "eval/bleu.h"

namespace tinynmt::cli {
namespace {

struct EvaluateArgs {
  std::string ref, hyp;
  bool aer = false;
  std::string gold, pred;
  bool one_based = false;
  bool pred_one_based = false;
  bool swap_pred = false;
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
      for (size_t i = 0; i < hyps.size(); ++i) s.push_back(eval::sentence_bleu(hyps[i], refs[i]).score);
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
    for (auto& s : pred)
      for (auto& l : s) std::swap(l.first, l.second);
  }
  const auto r = eval::compute_aer(gold, pred);
  if (a.json) {
    nlohmann::json j = {{"aer", r.aer},           {"precision", r.precision},
                        {"recall", r.recall},     {"predicted", r.predicted},
                        {"sure", r.sure},         {"possible", r.possible},
                        {"hit_sure", r.hit_sure}, {"hit_possible", r.hit_possible},
                        {"sentences", r.sentences}};
    std::cout << j.dump(1) << "\n";
    return 0;
  }
  std::cout << fmt::format("AER = {:.4f} precision = {:.4f} recall = {:.4f}\n", r.aer,
                           r.precision, r.recall);
  std::cout << fmt::format(
      "(sentences = {} |A| = {} |S| = {} |P| = {} |A∩S| = {} |A∩P| = {}; Och & Ney 2003)\n",
      r.sentences, r.predicted, r.sure, r.possible, r.hit_sure, r.hit_possible);
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
  sub->add_flag("--json", args->json, "print the figures as JSON");
  c.run = [args] { return args->aer ? run_aer(*args) : run_bleu(*args); };
  return c;
}

}  // namespace tinynmt::cli
