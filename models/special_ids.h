// Token ids that are fixed across tinynmt: the SentencePiece models are trained with these ids,
// and every network, batcher and decoder uses these constants.
#pragma once
#include <cstdint>

namespace tinynmt {
constexpr int64_t kPadId = 0;
constexpr int64_t kUnkId = 1;
constexpr int64_t kBosId = 2;
constexpr int64_t kEosId = 3;
}  // namespace tinynmt
