// The Trainer's guided alignment (train/trainer.h, train/guided_alignment.h): the links of the
// training pairs, read and expanded to pieces at setup, and each micro-batch's guidance.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "train/guided_alignment.h"
#include "train/trainer.h"

namespace tinynmt {

void Trainer::load_guided_links(const ParallelText& train_text) {
  const CorpusFiles& f = cfg_.data.train;
  const auto words =
      align::read_training_links(f.alignment, train_text, f.tsv.empty() ? f.src : f.tsv);
  auto links = align::expand_corpus_links(words, train_text, train_data_, *tok_);
  guided_links_ = std::move(links.pairs);
  guided_rows_.clear();
  guided_rows_.reserve(guided_links_.size());
  const bool null = t_.guided_alignment.null_to_eos;
  int64_t supervised = 0;
  for (size_t k = 0; k < guided_links_.size(); ++k) {
    const auto tgt_pieces = static_cast<int64_t>(train_data_.tgt[k].size());
    guided_rows_.push_back(supervised_rows(guided_links_[k], null ? tgt_pieces : 0));
    supervised += guided_rows_.back();
  }
  guided_ = t_.guided_alignment.weight > 0;
  if (!is_main()) return;
  const GuidedHead h = guided_head(cfg_);
  spdlog::info(
      "guided alignment: {} piece links, {} supervised target pieces{}; layer {} head {}{}, "
      "weight {}",
      links.links, supervised, null ? " (unlinked ones onto the source EOS)" : "", h.layer, h.head,
      h.full_context ? " (full context)" : "", t_.guided_alignment.weight);
  if (links.mismatched > 0)
    spdlog::warn("{}: {} pairs whose pieces do not spell the text's words get no guidance",
                 f.alignment, links.mismatched);
}

int64_t Trainer::supervised_rows_of(const std::vector<int64_t>& rows) const {
  if (!guided_) return 0;
  int64_t n = 0;
  for (int64_t r : rows) n += guided_rows_[static_cast<size_t>(r)];
  return n;
}

std::optional<GuidedTerm> Trainer::guided_term(const Batch& mb, int64_t step_supervised) const {
  if (!guided_ || step_supervised == 0) return std::nullopt;
  GuidedTerm g;
  g.head = guided_head(cfg_);
  const auto null = t_.guided_alignment.null_to_eos ? null_columns(train_data_, mb.indices)
                                                    : std::vector<NullColumn>{};
  g.guidance = guidance_matrix(guided_links_, mb.indices, mb.tgt_out.size(1), mb.src.size(1), null)
                   .to(device_);  // [rows, T, S]
  g.weight = t_.guided_alignment.weight;
  g.normaliser = static_cast<double>(step_supervised);
  return g;
}

void Trainer::add_guided_record(nlohmann::json& record) {
  // One process: the window's guided loss per supervised piece (ranks each hold only a share).
  if (guided_ && !dist() && window_guided_rows_ > 0 && window_guided_.defined())
    record["guided_loss"] =
        window_guided_.item<double>() / static_cast<double>(window_guided_rows_);
}

}  // namespace tinynmt
