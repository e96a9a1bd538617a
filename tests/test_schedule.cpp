// train/schedule: learning-rate schedules (Noam, warmup-linear, plateau) and their saved state.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "train/schedule.h"

using namespace tinynmt;

TEST(Schedule, NoamValues) {
  TrainingConfig t;
  t.schedule = "noam";
  t.lr = 1e-3;
  t.warmup = 100;
  LrSchedule s(t);
  EXPECT_NEAR(s.lr_at(1), 1e-3 * 1 / 100.0, 1e-12);
  EXPECT_NEAR(s.lr_at(50), 1e-3 * 0.5, 1e-12);
  EXPECT_NEAR(s.lr_at(100), 1e-3, 1e-12);        // the peak
  EXPECT_NEAR(s.lr_at(400), 1e-3 * 0.5, 1e-12);  // sqrt(100/400)
  EXPECT_NEAR(s.lr_at(10000), 1e-3 * 0.1, 1e-12);
}

TEST(Schedule, WarmupLinearAndPlateau) {
  TrainingConfig t;
  t.schedule = "warmup_linear";
  t.lr = 2e-3;
  t.warmup = 10;
  t.max_steps = 110;
  LrSchedule w(t);
  EXPECT_NEAR(w.lr_at(5), 1e-3, 1e-12);
  EXPECT_NEAR(w.lr_at(10), 2e-3, 1e-12);
  EXPECT_NEAR(w.lr_at(60), 1e-3, 1e-12);
  EXPECT_NEAR(w.lr_at(110), 0.0, 1e-12);

  t.schedule = "plateau";
  t.warmup = 0;
  t.plateau_patience = 1;
  t.decay_factor = 0.5;
  LrSchedule p(t);
  p.on_validation(10, true);  // best
  p.on_validation(9, true);   // bad 1 (within patience)
  EXPECT_NEAR(p.lr_at(1), 2e-3, 1e-12);
  p.on_validation(9, true);  // bad 2 > patience: decay
  EXPECT_NEAR(p.lr_at(1), 1e-3, 1e-12);
  LrSchedule restored(t);
  restored.load_state_json(p.state_json());
  EXPECT_NEAR(restored.lr_at(1), 1e-3, 1e-12);
}
