/*
 * The C API on a Cortex-M4F (QEMU mps2-an386), built with arm-none-eabi-gcc and no C
 * library: the Rust API's tokens and bits from expected.h (computed on the host: with
 * histories, penalties, DRY, the shape stages (top-n-sigma, typical-p, XTC, dynamic
 * temperature, mirostat), logit biases, masks and logprobs), reproduced by
 * liblogit_sampler.a for thumbv7em-none-eabihf; a few errors with the buffer untouched;
 * every entry point called once. Prints the stack high-water mark
 * and "N passed, M failed"; exits 0 only if nothing failed.
 *
 * Linked against the library built with the panic-never handler, so the link itself
 * proves that no panic is reachable from any entry point (check.sh).
 */
#include "logit_sampler.h"

#include "expected.h"

void print(const char *s);
void print_uint(uint32_t v);
void *memcpy(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);

extern uint32_t _stack_bottom[];

static unsigned passed, failed;

static void check(int ok, int line) {
  if (ok) {
    passed++;
  } else {
    failed++;
    print("FAILED line ");
    print_uint((uint32_t)line);
    print("\n");
  }
}
#define CHECK(cond) check((cond) != 0, __LINE__)

static float from_bits(uint32_t b) {
  float f;
  memcpy(&f, &b, sizeof f);
  return f;
}

/* FNV-1a (64-bit), as in test_capi.c and the generator of expected.h. */
static uint64_t fnv1a(const float *xs, size_t n) {
  uint64_t h = 0xcbf29ce484222325u;
  size_t i;
  int byte;
  for (i = 0; i < n; i++) {
    uint32_t b;
    memcpy(&b, &xs[i], sizeof b);
    for (byte = 0; byte < 4; byte++) h = (h ^ ((b >> (8 * byte)) & 0xffu)) * 0x100000001b3u;
  }
  return h;
}

static float buffer[5000];
static ls_sampler_storage storage;

static size_t load(size_t set) {
  const expected_logits *e = &EXPECTED_LOGITS[set];
  memcpy(buffer, e->bits, e->len * sizeof(float));
  return e->len;
}

static uint64_t next_word(void *context) {
  uint64_t word = 0;
  ls_rng_next_u64((ls_rng *)context, &word);
  return word;
}

static uint32_t to_bits(float f) {
  uint32_t b;
  memcpy(&b, &f, sizeof b);
  return b;
}

/* A sampler for expected case `e`, in the state before its draws. */
static ls_sampler *make_case(const expected_case *e) {
  ls_config cfg;
  ls_sampler *s = 0;
  size_t i;
  CHECK(ls_config_default(&cfg) == LS_OK);
  cfg.temperature = from_bits(e->temperature);
  cfg.min_p = from_bits(e->min_p);
  cfg.top_k = e->top_k;
  cfg.top_p = from_bits(e->top_p);
  cfg.repeat_penalty = from_bits(e->repeat_penalty);
  cfg.frequency_penalty = from_bits(e->frequency_penalty);
  cfg.presence_penalty = from_bits(e->presence_penalty);
  cfg.penalty_last_n = e->penalty_last_n;
  cfg.dry_multiplier = from_bits(e->dry_multiplier);
  cfg.dry_base = from_bits(e->dry_base);
  cfg.dry_allowed_length = e->dry_allowed_length;
  cfg.dry_penalty_last_n = e->dry_penalty_last_n;
  cfg.typical_p = from_bits(e->typical_p);
  cfg.top_n_sigma = from_bits(e->top_n_sigma);
  cfg.xtc_probability = from_bits(e->xtc_probability);
  cfg.xtc_threshold = from_bits(e->xtc_threshold);
  cfg.dynatemp_range = from_bits(e->dynatemp_range);
  cfg.dynatemp_exponent = from_bits(e->dynatemp_exponent);
  cfg.min_keep = e->min_keep;
  cfg.mirostat = e->mirostat;
  cfg.mirostat_tau = from_bits(e->mirostat_tau);
  cfg.mirostat_eta = from_bits(e->mirostat_eta);
  cfg.mirostat_m = e->mirostat_m;
  for (i = 0; i < LS_STAGE_COUNT; i++) cfg.order[i] = (ls_stage)e->order[i];
  cfg.order_len = e->order_len;
  CHECK(ls_sampler_init_ex(&storage, sizeof storage, &cfg, &s, 0) == LS_OK);
  CHECK(ls_sampler_set_dry_breakers(s, e->breaker_tokens, e->breaker_lens, e->breakers) == LS_OK);
  for (i = 0; i < e->prompt_len; i++) CHECK(ls_accept(s, e->prompt[i]) == LS_OK);
  return s;
}

static void expected_tokens_and_bits(void) {
  const size_t n_cases = sizeof EXPECTED_CASES / sizeof EXPECTED_CASES[0];
  const size_t n_with = sizeof EXPECTED_WITH / sizeof EXPECTED_WITH[0];
  const size_t n_sets = sizeof EXPECTED_LOGITS / sizeof EXPECTED_LOGITS[0];
  size_t c, d, i, n;
  for (c = 0; c < n_cases; c++) {
    const expected_case *e = &EXPECTED_CASES[c];
    ls_sampler *s = make_case(e);
    ls_rng rng, inner, callback;
    uint32_t token = 0;
    float mu = -1.0f;
    unsigned w;
    CHECK(ls_rng_seed(&rng, e->seed) == LS_OK);
    CHECK(ls_rng_seed(&inner, e->seed) == LS_OK);
    CHECK(ls_rng_callback(&callback, next_word, &inner) == LS_OK);
    for (d = 0; d < EXPECTED_DRAWS; d++) {
      n = load(e->logits);
      CHECK(ls_sample(s, buffer, n, (d & 1) ? &callback : &rng, &token) == LS_OK);
      CHECK(token == e->tokens[d]);
      /* The two generators must stay in step: one word per sample, two with XTC's coin. */
      for (w = 0; w < e->words; w++) {
        if (d & 1) {
          CHECK(ls_rng_next_u64(&rng, &(uint64_t){0}) == LS_OK);
        } else {
          CHECK(ls_rng_next_u64(&inner, &(uint64_t){0}) == LS_OK);
        }
      }
    }
    CHECK(ls_sampler_mirostat_mu(s, &mu) == LS_OK && to_bits(mu) == e->mirostat_mu);
    n = load(e->logits);
    CHECK(ls_distribution_in_place(s, buffer, n) == LS_OK);
    CHECK(fnv1a(buffer, n) == e->distribution_hash);
  }
  for (c = 0; c < n_with; c++) {
    const expected_with *w = &EXPECTED_WITH[c];
    ls_sampler *s = make_case(&EXPECTED_CASES[w->case_index]);
    ls_logit_bias bias[8];
    ls_constraints constraints;
    ls_token_logprob top[EXPECTED_TOP];
    ls_sampled out;
    ls_rng rng;
    for (i = 0; i < w->bias_len && i < 8; i++) {
      bias[i].token = w->bias_tokens[i];
      bias[i].bias = from_bits(w->bias_values[i]);
    }
    constraints.logit_bias = w->bias_len ? bias : 0;
    constraints.logit_bias_len = w->bias_len;
    constraints.allowed = w->mask;
    constraints.allowed_words = w->mask_words;
    CHECK(ls_rng_seed(&rng, w->seed) == LS_OK);
    for (d = 0; d < EXPECTED_DRAWS; d++) {
      n = load(EXPECTED_CASES[w->case_index].logits);
      CHECK(ls_sample_with(s, buffer, n, &rng, &constraints, top, EXPECTED_TOP, &out) == LS_OK);
      CHECK(out.token == w->tokens[d] && to_bits(out.logprob) == w->logprobs[d] &&
            to_bits(out.sampling_logprob) == w->sampling_logprobs[d]);
      for (i = 0; i < EXPECTED_TOP; i++) {
        CHECK(top[i].token == w->top_tokens[i] && to_bits(top[i].logprob) == w->top_logprobs[i]);
      }
    }
    n = load(EXPECTED_CASES[w->case_index].logits);
    CHECK(ls_distribution_in_place_with(s, buffer, n, &constraints) == LS_OK);
  }
  for (i = 0; i < n_sets; i++) {
    const expected_logits *e = &EXPECTED_LOGITS[i];
    uint32_t token = 0;
    n = load(i);
    CHECK(ls_argmax(buffer, n, &token, 0) == LS_OK && token == e->argmax);
    CHECK(ls_argmax_with(LS_BACKEND_SCALAR, buffer, n, &token, 0) == LS_OK && token == e->argmax);
    CHECK(ls_softmax_in_place(buffer, n, 0.7f, 0) == LS_OK);
    CHECK(fnv1a(buffer, n) == e->softmax_cool_hash);
    n = load(i);
    CHECK(ls_softmax_in_place_with(LS_BACKEND_SCALAR, buffer, n, 1.0f, 0) == LS_OK);
    CHECK(fnv1a(buffer, n) == e->softmax_hash);
    for (d = 0; d < EXPECTED_UNIFORMS; d++) {
      CHECK(ls_sample_inverse_cdf(buffer, n, expected_uniforms[d], &token, 0) == LS_OK);
      CHECK(token == e->inverse_cdf[d]);
      CHECK(ls_sample_inverse_cdf_with(LS_BACKEND_SCALAR, buffer, n, expected_uniforms[d], &token,
                                       0) == LS_OK);
      CHECK(token == e->inverse_cdf[d]);
    }
  }
}

static void errors_and_the_rest(void) {
  ls_config cfg;
  ls_sampler *s = 0;
  ls_rng rng;
  ls_error err;
  ls_backend backend;
  uint32_t token = 7;
  size_t n = load(1), len = 1;
  CHECK(ls_config_greedy(&cfg) == LS_OK);
  CHECK(ls_sampler_init_ex(&storage, ls_sampler_size() - 1, &cfg, &s, &err) == LS_BUFFER_TOO_SMALL);
  CHECK(err.capacity == ls_sampler_size() && s == 0);
  cfg.top_p = 1.5f;
  CHECK(ls_sampler_init_ex(&storage, sizeof storage, &cfg, &s, &err) == LS_INVALID_TOP_P);
  CHECK(err.value == 1.5f);
  CHECK(ls_config_greedy(&cfg) == LS_OK);
  CHECK(ls_sampler_init_ex(&storage, sizeof storage, &cfg, &s, &err) == LS_OK);
  CHECK(ls_rng_pcg32(&rng, 1, 2) == LS_OK);
  buffer[17] = from_bits(0x7fc00000u); /* NaN */
  CHECK(ls_sample(s, buffer, n, &rng, &token) == LS_NAN_LOGIT);
  CHECK(ls_sampler_last_error(s, &err) == LS_OK && err.index == 17);
  CHECK(memcmp(buffer, EXPECTED_LOGITS[1].bits, 17 * sizeof(float)) == 0 && token == 7);
  CHECK(ls_sample(s, 0, n, &rng, &token) == LS_NULL_POINTER);
  CHECK(ls_sampler_history_len(s, &len) == LS_OK && len == 0); /* errors record nothing */
  CHECK(ls_sampler_set_backend(s, LS_BACKEND_AVX2) == LS_BACKEND_UNAVAILABLE);
  CHECK(ls_sampler_set_backend(s, LS_BACKEND_SCALAR) == LS_OK);
  CHECK(ls_sampler_backend(s, &backend) == LS_OK && backend == LS_BACKEND_SCALAR);
  CHECK(ls_sampler_config(s, &cfg) == LS_OK && cfg.temperature == 0.0f);
  {
    uint32_t h[4] = {0, 0, 0, 0}, one = 9;
    size_t one_len = 1;
    CHECK(ls_accept(s, 3) == LS_OK && ls_accept(s, 4) == LS_OK);
    CHECK(ls_sampler_history(s, h, 4, &len) == LS_OK && len == 2 && h[0] == 3 && h[1] == 4);
    CHECK(ls_reset(s) == LS_OK && ls_sampler_history_len(s, &len) == LS_OK && len == 0);
    CHECK(ls_sampler_set_dry_breakers(s, &one, &one_len, 1) == LS_OK);
    one_len = 0;
    CHECK(ls_sampler_set_dry_breakers(s, &one, &one_len, 1) == LS_INVALID_DRY_BREAKER);
    CHECK(ls_config_llama_cpp(&cfg) == LS_OK && cfg.top_k == 40);
    CHECK(cfg.order_len == LS_STAGE_COUNT && cfg.order[8] == LS_STAGE_TEMPERATURE);
    cfg.penalty_last_n = LS_HISTORY + 1;
    CHECK(ls_sampler_init_ex(&storage, sizeof storage, &cfg, &s, &err) ==
          LS_WINDOW_EXCEEDS_HISTORY);
    CHECK(err.capacity == LS_HISTORY);
    cfg.penalty_last_n = 64;
    cfg.mirostat = 3;
    CHECK(ls_sampler_init_ex(&storage, sizeof storage, &cfg, &s, &err) == LS_INVALID_MIROSTAT);
    CHECK(err.index == 3);
    cfg.mirostat = 1;
    cfg.mirostat_m = 129;
    CHECK(ls_sampler_init_ex(&storage, sizeof storage, &cfg, &s, &err) == LS_INVALID_MIROSTAT);
    CHECK(err.index == 1 && err.len == 129);
  }
  CHECK(ls_backend_detect() == LS_BACKEND_SCALAR);
  CHECK(ls_backend_available(LS_BACKEND_SCALAR) && !ls_backend_available(LS_BACKEND_NEON));
  CHECK(ls_backend_name(LS_BACKEND_SCALAR)[0] == 's');
  CHECK(ls_status_str(LS_OK)[0] == 's' && ls_version()[0] != '\0');
  CHECK(ls_sampler_align() <= 8);
}

int main(void) {
  uint32_t *p, *sp;
  __asm__ volatile("mov %0, sp" : "=r"(sp));
  /* Paint the unused stack, to measure how deep the calls below go. */
  for (p = _stack_bottom; p < sp - 16; p++) *p = 0xdeadbeefu;

  print("logit_sampler ");
  print(ls_version());
  print(" on a Cortex-M4F: sampler ");
  print_uint((uint32_t)ls_sampler_size());
  print(" bytes\n");
  expected_tokens_and_bits();
  errors_and_the_rest();

  for (p = _stack_bottom; p < sp && *p == 0xdeadbeefu; p++) {
  }
  print("stack high-water: ");
  print_uint((uint32_t)((char *)sp - (char *)p));
  print(" bytes below main\n");
  print_uint(passed);
  print(" passed, ");
  print_uint(failed);
  print(" failed\n");
  return failed != 0;
}
