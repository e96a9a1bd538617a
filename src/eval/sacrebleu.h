// The sacreBLEU behaviour BLEU (eval/bleu.h) and chrF (eval/chrf.h) reproduce, as their
// signatures write it.
#pragma once

namespace tinynmt::eval {

inline constexpr const char* kSacreBleuVersion = "2.x";

}  // namespace tinynmt::eval
