// Alignment Error Rate, Och & Ney 2003, "A Systematic Comparison of Various Statistical
// Alignment Models", Computational Linguistics 29(1), §5 eq. (41):
//   precision = |A∩P| / |A|,  recall = |A∩S| / |S|,
//   AER = 1 − (|A∩S| + |A∩P|) / (|A| + |S|),
// with S the sure gold links, P ⊇ S the sure and possible links, A the predicted links. Corpus
// level: every count is summed over sentences before the ratios are taken.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "align/pharaoh.h"

namespace tinynmt::eval {

/// Gold links of one sentence pair. `possible` holds only the links marked possible; P is
/// sure ∪ possible.
struct GoldAlignment {
  std::set<align::Link> sure;
  std::set<align::Link> possible;
};

/// Parses one gold line: space-separated `i-j` (sure) and `ipj` (possible) links, as in the
/// NAACL 2003 Hansards set distributed by awesome-align (../shared/data/align-gold). one_based:
/// indices start at 1 and are converted to 0-based. Throws std::runtime_error naming `where` and
/// the token when a token is neither form or an index is out of range.
GoldAlignment parse_gold_line(const std::string& line, bool one_based,
                              const std::string& where = "gold");

/// Reads a gold file, one sentence pair per line. Throws std::runtime_error naming file:line.
std::vector<GoldAlignment> read_gold_file(const std::string& path, bool one_based);

struct AerResult {
  double aer = 0;        // 0-1
  double precision = 0;  // 0-1
  double recall = 0;     // 0-1
  long predicted = 0;    // |A|
  long sure = 0;         // |S|
  long possible = 0;     // |P| (sure included)
  long hit_sure = 0;     // |A∩S|
  long hit_possible = 0; // |A∩P|
  long sentences = 0;
};

/// Corpus AER of predictions against gold (duplicate predicted links count once).
/// Throws std::invalid_argument when the number of sentences differs.
/// With no predicted and no sure links the ratios are defined as precision = recall = 1, AER = 0.
AerResult compute_aer(const std::vector<GoldAlignment>& gold,
                      const std::vector<align::Alignment>& predicted);

}  // namespace tinynmt::eval
