#include <gtest/gtest.h>

#include "models/special_ids.h"

TEST(SpecialIds, AreDistinct) {
  EXPECT_NE(tinynmt::kPadId, tinynmt::kBosId);
  EXPECT_NE(tinynmt::kBosId, tinynmt::kEosId);
}
