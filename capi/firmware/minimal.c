/*
 * The smallest useful firmware: configure, seed, sample (what an engine's loop
 * links). check.sh prints its size; it exits 0 if the token is a top-k survivor.
 */
#include "logit_sampler.h"

static ls_sampler_storage memory; /* the sampler: no heap */
static float logits[8] = {0.5f, 3.0f, -1.0f, 2.5f, 1.0f, -2.0f, 0.0f, 2.9f};

int main(void) {
  ls_config cfg;
  ls_sampler *sampler;
  ls_rng rng;
  uint32_t token = 0;
  ls_config_default(&cfg);
  cfg.temperature = 0.8f;
  cfg.top_k = 3;
  cfg.top_p = 0.95f;
  if (ls_sampler_init(&memory, sizeof memory, &cfg, &sampler) != LS_OK) return 1;
  ls_rng_seed(&rng, 42);
  if (ls_sample(sampler, logits, 8, &rng, &token) != LS_OK) return 1;
  return !(token == 1 || token == 3 || token == 7);
}
