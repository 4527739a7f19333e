/* An engine's decoding loop in C: logits in, token out, no malloc.
 * check.sh compiles it with -Wall -Wextra -Werror and runs it. */
#include <logit_sampler.h>
#include <stdio.h>

#define VOCAB 6
/* A stand-in for the model (llama_get_logits_ith(ctx, -1) in llama.cpp). */
static float *model_logits(uint32_t previous) {
  static float logits[VOCAB];
  for (uint32_t i = 0; i < VOCAB; i++) logits[i] = (float)((i * 7 + previous * 3) % VOCAB);
  return logits;
}

int main(void) {
  ls_config cfg;
  ls_config_default(&cfg);
  cfg.temperature = 0.8f;
  cfg.top_k = 3;
  cfg.top_p = 0.95f;
  static ls_sampler_storage memory; /* or ls_sampler_size() bytes of your own */
  ls_sampler *sampler;
  ls_error err;
  if (ls_sampler_init_ex(&memory, sizeof memory, &cfg, &sampler, &err) != LS_OK) {
    fprintf(stderr, "config: %s\n", ls_status_str(err.status));
    return 1;
  }
  ls_rng rng;
  ls_rng_seed(&rng, 42); /* the tokens of Rust's Pcg32::seed_from_u64(42) */
  uint32_t token = 0;
  for (int step = 0; step < 8; step++) {
    float *logits = model_logits(token); /* used in place as scratch */
    ls_status st = ls_sample(sampler, logits, VOCAB, &rng, &token);
    if (st != LS_OK) {
      fprintf(stderr, "sample: %s\n", ls_status_str(st));
      return 1;
    }
    printf("%u ", (unsigned)token);
  }
  printf("\n");
  return 0;
}
