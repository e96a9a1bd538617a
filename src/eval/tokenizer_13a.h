// sacreBLEU's "13a" tokeniser (tokenizer_13a.py, itself mteval-v13a.pl), which BLEU applies to
// hypotheses and references before counting n-grams (eval/bleu.h).
#pragma once

#include <string>

namespace tinynmt::eval {

/// sacreBLEU's 13a tokeniser (tokenizer_13a.py, itself mteval-v13a.pl): removes "<skipped>",
/// unescapes &quot; &amp; &lt; &gt;, splits off ASCII punctuation and symbols, splits '.' and ','
/// unless between digits, splits '-' after a digit, and joins tokens with single spaces.
std::string tokenize_13a(const std::string& line);

}  // namespace tinynmt::eval
