/*
 * The C API from C: every status code the API can return (each triggered, with
 * its detail), the caller's buffers, the generator and the sampler's history
 * untouched on error, the context stages (history, penalties, DRY and its
 * breakers, logit bias, masks, logprobs) on small worked examples, and the same
 * tokens and bits as the Rust API for the same logits, config, history and seed,
 * on every backend this CPU runs. The expected numbers come from expected.h, which the Rust API
 * computes (`cargo run -p logit-sampler-capi --example expected -- expected.h`).
 *
 * Built by capi/check.sh with `cc -std=c99 -pedantic -Wall -Wextra -Werror`,
 * against the static library and against the shared one. Ends with the line
 * "N passed, M failed" and exits non-zero on any failure.
 */
#include "logit_sampler.h"

#include "expected.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static unsigned passed, failed;
/* Every status some check has seen a call return, to prove each is reachable. */
static int seen[256];

static void check(int ok, const char *what, int line) {
  if (ok) {
    passed++;
  } else {
    failed++;
    printf("FAILED line %d: %s\n", line, what);
  }
}
#define CHECK(cond) check((cond) != 0, #cond, __LINE__)

/* `call` must return `expected`; the status is recorded as reachable. */
static void check_status(ls_status got, ls_status expected, const char *what, int line) {
  if (got == expected && got < 256) seen[got] = 1;
  if (got != expected) {
    printf("FAILED line %d: %s returned %u (%s), expected %u (%s)\n", line, what, (unsigned)got,
           ls_status_str(got), (unsigned)expected, ls_status_str(expected));
    failed++;
  } else {
    passed++;
  }
}
#define CHECK_STATUS(call, expected) check_status((call), (expected), #call, __LINE__)

static float from_bits(uint32_t b) {
  float f;
  memcpy(&f, &b, sizeof f);
  return f;
}

static uint32_t to_bits(float f) {
  uint32_t b;
  memcpy(&b, &f, sizeof b);
  return b;
}

/* FNV-1a (64-bit) over the little-endian bytes of the floats' bit patterns:
 * the same hash as the generator of expected.h. */
static uint64_t fnv1a(const float *xs, size_t n) {
  uint64_t h = 0xcbf29ce484222325u;
  size_t i;
  int byte;
  for (i = 0; i < n; i++) {
    uint32_t b = to_bits(xs[i]);
    for (byte = 0; byte < 4; byte++) {
      h = (h ^ ((b >> (8 * byte)) & 0xffu)) * 0x100000001b3u;
    }
  }
  return h;
}

#define MAX_VOCAB 5000
static float buffer[MAX_VOCAB + 1];
static float copy[MAX_VOCAB + 1];

/* Loads logits vector `set` of expected.h into `buffer`; returns its length. */
static size_t load(size_t set) {
  const expected_logits *e = &EXPECTED_LOGITS[set];
  size_t i;
  for (i = 0; i < e->len; i++) buffer[i] = from_bits(e->bits[i]);
  return e->len;
}

static ls_config config(float temperature, float min_p, size_t top_k, float top_p) {
  ls_config cfg;
  CHECK_STATUS(ls_config_default(&cfg), LS_OK);
  cfg.temperature = temperature;
  cfg.min_p = min_p;
  cfg.top_k = top_k;
  cfg.top_p = top_p;
  return cfg;
}

static ls_sampler_storage storage, storage2;

static ls_sampler *make_in(ls_sampler_storage *mem, const ls_config *cfg) {
  ls_sampler *s = NULL;
  CHECK_STATUS(ls_sampler_init(mem, sizeof *mem, cfg, &s), LS_OK);
  return s;
}

static ls_sampler *make(const ls_config *cfg) { return make_in(&storage, cfg); }

static ls_error last_error(const ls_sampler *s) {
  ls_error e;
  CHECK_STATUS(ls_sampler_last_error(s, &e), LS_OK);
  return e;
}

/* A misaligned pointer into `p` (for the alignment checks only; never dereferenced). */
static void *misaligned(void *p) { return (char *)p + 1; }

static void test_strings_and_version(void) {
  const ls_status known[] = {
      LS_OK, LS_EMPTY, LS_TOO_LONG, LS_NAN_LOGIT, LS_NO_CANDIDATES, LS_INVALID_TEMPERATURE,
      LS_INVALID_MIN_P, LS_INVALID_TOP_P, LS_INVALID_STAGE_ORDER, LS_INVALID_WEIGHT,
      LS_ZERO_TOTAL_WEIGHT, LS_INVALID_UNIFORM, LS_CAPACITY_EXCEEDED, LS_BACKEND_UNAVAILABLE,
      LS_STAGE_NOT_IN_ORDER, LS_INVALID_REPEAT_PENALTY, LS_INVALID_FREQUENCY_PENALTY,
      LS_INVALID_PRESENCE_PENALTY, LS_INVALID_DRY_MULTIPLIER, LS_INVALID_DRY_BASE,
      LS_WINDOW_EXCEEDS_HISTORY, LS_INVALID_DRY_BREAKER, LS_TOKEN_OUT_OF_RANGE,
      LS_INVALID_LOGIT_BIAS, LS_MASK_TOO_SHORT, LS_NO_TOKEN_ALLOWED, LS_INVALID_TYPICAL_P,
      LS_INVALID_TOP_N_SIGMA, LS_INVALID_XTC_PROBABILITY, LS_INVALID_XTC_THRESHOLD,
      LS_INVALID_DYNATEMP_RANGE, LS_INVALID_DYNATEMP_EXPONENT, LS_INVALID_MIROSTAT,
      LS_NULL_POINTER, LS_BAD_ALIGNMENT, LS_BUFFER_TOO_SMALL, LS_OUT_OF_MEMORY, LS_UNKNOWN_ERROR};
  const size_t n = sizeof known / sizeof known[0];
  size_t i, j;
  unsigned named = 0;
  for (i = 0; i < n; i++) {
    const char *text = ls_status_str(known[i]);
    CHECK(text != NULL && strlen(text) > 0 && strcmp(text, "unknown status") != 0);
    for (j = 0; j < i; j++) CHECK(strcmp(text, ls_status_str(known[j])) != 0);
  }
  for (i = 0; i < 1000; i++) {
    if (strcmp(ls_status_str((ls_status)i), "unknown status") != 0) named++;
  }
  CHECK(named == n);
  CHECK(strcmp(ls_status_str((ls_status)0xffffffffu), "unknown status") == 0);
  CHECK(strcmp(ls_status_str(LS_OK), "success") == 0);
  CHECK(ls_version() != NULL && ls_version()[0] >= '0' && ls_version()[0] <= '9');
}

static void test_backends(void) {
  ls_backend best = ls_backend_detect();
  CHECK(ls_backend_available(best));
  CHECK(ls_backend_available(LS_BACKEND_SCALAR));
  CHECK(!ls_backend_available((ls_backend)99));
  CHECK(strcmp(ls_backend_name(LS_BACKEND_SCALAR), "scalar") == 0);
  CHECK(strcmp(ls_backend_name(LS_BACKEND_AVX512), "avx512") == 0);
  CHECK(strcmp(ls_backend_name((ls_backend)99), "unknown") == 0);
#if defined(__x86_64__)
  CHECK(ls_backend_available(LS_BACKEND_SSE2));
  CHECK(!ls_backend_available(LS_BACKEND_NEON));
#endif
}

static void test_config(void) {
  ls_config cfg, greedy;
  CHECK(LS_STAGE_COUNT == 9 && LS_STAGE_TEMPERATURE == 0 && LS_STAGE_TOP_P == 3 &&
        LS_STAGE_PENALTIES == 4 && LS_STAGE_DRY == 5 && LS_STAGE_TOP_N_SIGMA == 6 &&
        LS_STAGE_TYPICAL == 7 && LS_STAGE_XTC == 8);
  CHECK_STATUS(ls_config_default(&cfg), LS_OK);
  CHECK(cfg.temperature == 1.0f && cfg.min_p == 0.0f && cfg.top_k == 0 && cfg.top_p == 1.0f);
  CHECK(cfg.repeat_penalty == 1.0f && cfg.frequency_penalty == 0.0f &&
        cfg.presence_penalty == 0.0f && cfg.penalty_last_n == 0);
  CHECK(cfg.dry_multiplier == 0.0f && cfg.dry_base == 1.75f && cfg.dry_allowed_length == 2 &&
        cfg.dry_penalty_last_n == 0);
  /* The shape stages off, their secondary parameters at llama.cpp's values. */
  CHECK(cfg.typical_p == 1.0f && cfg.top_n_sigma == 0.0f && cfg.xtc_probability == 0.0f &&
        cfg.xtc_threshold == 0.1f && cfg.dynatemp_range == 0.0f &&
        cfg.dynatemp_exponent == 1.0f && cfg.min_keep == 0);
  CHECK(cfg.mirostat == 0 && cfg.mirostat_tau == 5.0f && cfg.mirostat_eta == 0.1f &&
        cfg.mirostat_m == 100);
  CHECK(cfg.order_len == LS_STAGE_COUNT);
  CHECK(cfg.order[0] == LS_STAGE_PENALTIES && cfg.order[1] == LS_STAGE_DRY &&
        cfg.order[2] == LS_STAGE_TOP_N_SIGMA && cfg.order[3] == LS_STAGE_TEMPERATURE &&
        cfg.order[4] == LS_STAGE_MIN_P && cfg.order[5] == LS_STAGE_TOP_K &&
        cfg.order[6] == LS_STAGE_TOP_P && cfg.order[7] == LS_STAGE_TYPICAL &&
        cfg.order[8] == LS_STAGE_XTC);
  CHECK_STATUS(ls_config_greedy(&greedy), LS_OK);
  CHECK(greedy.temperature == 0.0f);
  greedy.temperature = 1.0f;
  /* No padding (17 four-byte scalars, the order, 7 size_t), so configs compare bytewise. */
  CHECK(sizeof(ls_config) == 17 * 4 + sizeof cfg.order + 7 * sizeof(size_t));
  CHECK(memcmp(&greedy, &cfg, sizeof cfg) == 0);
  /* llama.cpp's defaults (common_params_sampling) and its order. */
  CHECK_STATUS(ls_config_llama_cpp(&cfg), LS_OK);
  CHECK(cfg.temperature == 0.8f && cfg.top_k == 40 && cfg.top_p == 0.95f && cfg.min_p == 0.05f);
  CHECK(cfg.penalty_last_n == 64 && cfg.repeat_penalty == 1.0f &&
        cfg.frequency_penalty == 0.0f && cfg.presence_penalty == 0.0f);
  CHECK(cfg.dry_multiplier == 0.0f && cfg.dry_base == 1.75f && cfg.dry_allowed_length == 2 &&
        cfg.dry_penalty_last_n == 64);
  CHECK(cfg.typical_p == 1.0f && cfg.top_n_sigma == 0.0f && cfg.xtc_probability == 0.0f &&
        cfg.xtc_threshold == 0.1f && cfg.dynatemp_range == 0.0f &&
        cfg.dynatemp_exponent == 1.0f && cfg.min_keep == 0);
  CHECK(cfg.mirostat == 0 && cfg.mirostat_tau == 5.0f && cfg.mirostat_eta == 0.1f &&
        cfg.mirostat_m == 100);
  CHECK(cfg.order_len == 9 && cfg.order[0] == LS_STAGE_PENALTIES && cfg.order[1] == LS_STAGE_DRY &&
        cfg.order[2] == LS_STAGE_TOP_N_SIGMA && cfg.order[3] == LS_STAGE_TOP_K &&
        cfg.order[4] == LS_STAGE_TYPICAL && cfg.order[5] == LS_STAGE_TOP_P &&
        cfg.order[6] == LS_STAGE_MIN_P && cfg.order[7] == LS_STAGE_XTC &&
        cfg.order[8] == LS_STAGE_TEMPERATURE);
  CHECK(make(&cfg) != NULL);
  CHECK_STATUS(ls_config_default(NULL), LS_NULL_POINTER);
  CHECK_STATUS(ls_config_greedy(NULL), LS_NULL_POINTER);
  CHECK_STATUS(ls_config_llama_cpp(NULL), LS_NULL_POINTER);
  CHECK_STATUS(ls_config_default((ls_config *)misaligned(&cfg)), LS_BAD_ALIGNMENT);
}

static void test_storage(void) {
  CHECK(EXPECTED_CAPACITY == LS_SAMPLER_CAPACITY);
  CHECK(EXPECTED_HISTORY == LS_HISTORY);
  CHECK(ls_sampler_size() <= sizeof(ls_sampler_storage));
  CHECK(ls_sampler_size() >= 8 * LS_SAMPLER_CAPACITY + 4 * LS_HISTORY);
  CHECK(ls_sampler_align() <= 8 && ls_sampler_align() >= 1);
  CHECK(((uintptr_t)&storage % ls_sampler_align()) == 0);
}

/* Initialisation errors: each reported with its detail, with nothing written. */
static void test_init_errors(void) {
  static ls_sampler_storage mem;
  ls_config good = config(0.8f, 0.05f, 40, 0.95f), bad;
  ls_sampler *out = (ls_sampler *)&good; /* a sentinel: must stay as it is */
  ls_sampler *const sentinel = out;
  ls_error err;
  unsigned char pattern[sizeof mem];
  memset(&mem, 0xa5, sizeof mem);
  memcpy(pattern, &mem, sizeof mem);

  CHECK_STATUS(ls_sampler_init_ex(NULL, sizeof mem, &good, &out, &err), LS_NULL_POINTER);
  CHECK(err.status == LS_NULL_POINTER && err.argument == 1);
  CHECK_STATUS(ls_sampler_init_ex(misaligned(&mem), sizeof mem - 8, &good, &out, &err),
               LS_BAD_ALIGNMENT);
  CHECK(err.argument == 1);
  CHECK_STATUS(ls_sampler_init_ex(&mem, ls_sampler_size() - 1, &good, &out, &err),
               LS_BUFFER_TOO_SMALL);
  CHECK(err.argument == 2 && err.len == ls_sampler_size() - 1 &&
        err.capacity == ls_sampler_size());
  CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, NULL, &out, &err), LS_NULL_POINTER);
  CHECK(err.argument == 3);
  CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &good, NULL, &err), LS_NULL_POINTER);
  CHECK(err.argument == 4);
  CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &good, &out, (ls_error *)misaligned(&err)),
               LS_BAD_ALIGNMENT);

  bad = good;
  bad.temperature = -1.0f;
  CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &bad, &out, &err), LS_INVALID_TEMPERATURE);
  CHECK(err.value == -1.0f);
  bad.temperature = NAN;
  CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &bad, &out, NULL), LS_INVALID_TEMPERATURE);
  /* The four-argument form: the same statuses, no detail. */
  CHECK_STATUS(ls_sampler_init(&mem, sizeof mem, &bad, &out), LS_INVALID_TEMPERATURE);
  CHECK_STATUS(ls_sampler_init(NULL, sizeof mem, &good, &out), LS_NULL_POINTER);
  CHECK_STATUS(ls_sampler_init(&mem, ls_sampler_size() - 1, &good, &out), LS_BUFFER_TOO_SMALL);
  bad.temperature = FLT_MIN / 2; /* subnormal */
  CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &bad, &out, &err), LS_INVALID_TEMPERATURE);
  CHECK(err.value == FLT_MIN / 2);
  bad = good;
  bad.min_p = 1.5f;
  CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &bad, &out, &err), LS_INVALID_MIN_P);
  CHECK(err.value == 1.5f);
  bad = good;
  bad.top_p = 0.0f;
  CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &bad, &out, &err), LS_INVALID_TOP_P);
  CHECK(err.value == 0.0f);
  /* The context stages' parameters, each with its value. */
  bad = good;
  bad.repeat_penalty = 0.0f;
  CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &bad, &out, &err), LS_INVALID_REPEAT_PENALTY);
  CHECK(err.value == 0.0f);
  bad.repeat_penalty = INFINITY;
  CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &bad, &out, &err), LS_INVALID_REPEAT_PENALTY);
  CHECK(err.value == INFINITY);
  bad = good;
  bad.frequency_penalty = NAN;
  CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &bad, &out, &err),
               LS_INVALID_FREQUENCY_PENALTY);
  CHECK(isnan(err.value));
  bad = good;
  bad.presence_penalty = -INFINITY;
  CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &bad, &out, &err),
               LS_INVALID_PRESENCE_PENALTY);
  CHECK(err.value == -INFINITY);
  bad = good;
  bad.dry_multiplier = -0.5f;
  CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &bad, &out, &err), LS_INVALID_DRY_MULTIPLIER);
  CHECK(err.value == -0.5f);
  bad = good;
  bad.dry_base = 0.99f;
  CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &bad, &out, &err), LS_INVALID_DRY_BASE);
  CHECK(err.value == 0.99f);
  bad = good;
  bad.penalty_last_n = LS_HISTORY + 1;
  CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &bad, &out, &err), LS_WINDOW_EXCEEDS_HISTORY);
  CHECK(err.len == LS_HISTORY + 1 && err.capacity == LS_HISTORY);
  bad = good;
  bad.dry_penalty_last_n = (size_t)-1;
  CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &bad, &out, &err), LS_WINDOW_EXCEEDS_HISTORY);
  CHECK(err.len == (size_t)-1 && err.capacity == LS_HISTORY);
  /* The shape stages' parameters, each with its value. */
  bad = good;
  bad.typical_p = 1.5f;
  CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &bad, &out, &err), LS_INVALID_TYPICAL_P);
  CHECK(err.value == 1.5f);
  bad.typical_p = NAN;
  CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &bad, &out, &err), LS_INVALID_TYPICAL_P);
  CHECK(isnan(err.value));
  bad = good;
  bad.top_n_sigma = -1.0f; /* llama.cpp's "off"; 0 is off here */
  CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &bad, &out, &err), LS_INVALID_TOP_N_SIGMA);
  CHECK(err.value == -1.0f);
  bad.top_n_sigma = INFINITY;
  CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &bad, &out, &err), LS_INVALID_TOP_N_SIGMA);
  CHECK(err.value == INFINITY);
  bad = good;
  bad.xtc_probability = 1.5f;
  CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &bad, &out, &err),
               LS_INVALID_XTC_PROBABILITY);
  CHECK(err.value == 1.5f);
  bad = good;
  bad.xtc_threshold = -0.1f;
  CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &bad, &out, &err), LS_INVALID_XTC_THRESHOLD);
  CHECK(err.value == -0.1f);
  bad = good;
  bad.dynatemp_range = -0.5f;
  CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &bad, &out, &err), LS_INVALID_DYNATEMP_RANGE);
  CHECK(err.value == -0.5f);
  bad.dynatemp_range = 0.5f;
  bad.temperature = INFINITY; /* a range needs a finite temperature */
  CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &bad, &out, &err), LS_INVALID_DYNATEMP_RANGE);
  CHECK(err.value == 0.5f);
  bad = good;
  bad.dynatemp_exponent = NAN;
  CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &bad, &out, &err),
               LS_INVALID_DYNATEMP_EXPONENT);
  CHECK(isnan(err.value));
  bad = good;
  bad.mirostat = 3; /* not a version */
  CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &bad, &out, &err), LS_INVALID_MIROSTAT);
  CHECK(err.index == 3);
  bad.mirostat = 2;
  bad.mirostat_tau = -1.0f;
  CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &bad, &out, &err), LS_INVALID_MIROSTAT);
  CHECK(err.index == 2 && err.value == -1.0f);
  bad.mirostat_tau = 5.0f;
  bad.mirostat_eta = INFINITY;
  CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &bad, &out, &err), LS_INVALID_MIROSTAT);
  CHECK(err.index == 2 && err.value == INFINITY);
  bad.mirostat = 1;
  bad.mirostat_eta = 0.1f;
  bad.mirostat_m = 0;
  CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &bad, &out, &err), LS_INVALID_MIROSTAT);
  CHECK(err.index == 1 && err.len == 0);
  bad.mirostat_m = 129;
  CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &bad, &out, &err), LS_INVALID_MIROSTAT);
  CHECK(err.index == 1 && err.len == 129);

  /* The order: each stage at most once, context stages first, every configured stage. */
  bad = good;
  bad.order[5] = LS_STAGE_MIN_P; /* min-p twice */
  CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &bad, &out, &err), LS_INVALID_STAGE_ORDER);
  bad = good;
  bad.order[0] = (ls_stage)99; /* not a stage */
  CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &bad, &out, &err), LS_INVALID_STAGE_ORDER);
  bad = good;
  bad.order[0] = LS_STAGE_TEMPERATURE;
  bad.order[3] = LS_STAGE_PENALTIES; /* a context stage after the temperature */
  CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &bad, &out, &err), LS_INVALID_STAGE_ORDER);
  bad = good;
  bad.order_len = LS_STAGE_COUNT + 1;
  CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &bad, &out, &err), LS_INVALID_STAGE_ORDER);
  bad = good;
  bad.order_len = 6; /* top-p 0.95 is on, but left out */
  CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &bad, &out, &err), LS_STAGE_NOT_IN_ORDER);
  CHECK(err.stage == LS_STAGE_TOP_P);
  bad = good;
  bad.repeat_penalty = 1.2f;
  bad.penalty_last_n = 8;
  bad.order[0] = LS_STAGE_DRY; /* the penalties are on, but not in the order */
  bad.order[1] = LS_STAGE_TEMPERATURE;
  bad.order[2] = LS_STAGE_MIN_P;
  bad.order[3] = LS_STAGE_TOP_K;
  bad.order[4] = LS_STAGE_TOP_P;
  bad.order_len = 5;
  CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &bad, &out, &err), LS_STAGE_NOT_IN_ORDER);
  CHECK(err.stage == LS_STAGE_PENALTIES);
  bad = good;
  bad.xtc_probability = 0.5f;
  bad.order[8] = LS_STAGE_TYPICAL; /* XTC on but left out (typical-p is off: listing it is fine) */
  bad.order_len = 8;
  CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &bad, &out, &err), LS_STAGE_NOT_IN_ORDER);
  CHECK(err.stage == LS_STAGE_XTC);
  bad = config(1.0f, 0.0f, 0, 1.0f);
  bad.dynatemp_range = 0.2f; /* at temperature 1, dynamic temperature is still a stage */
  bad.order_len = 3;         /* penalties, DRY, top-n-sigma */
  CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &bad, &out, &err), LS_STAGE_NOT_IN_ORDER);
  CHECK(err.stage == LS_STAGE_TEMPERATURE);
  {
    ls_config zeroed;
    memset(&zeroed, 0, sizeof zeroed);
    /* A zeroed config is invalid: top-p 0, repetition penalty 0. */
    CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &zeroed, &out, NULL), LS_INVALID_TOP_P);
    zeroed.top_p = 1.0f;
    CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &zeroed, &out, NULL),
                 LS_INVALID_REPEAT_PENALTY);
  }

  CHECK(out == sentinel);
  CHECK(memcmp(&mem, pattern, sizeof mem) == 0);

  CHECK_STATUS(ls_sampler_init_ex(&mem, ls_sampler_size(), &good, &out, &err), LS_OK);
  CHECK(err.status == LS_OK && out == (ls_sampler *)(void *)&mem);
  {
    ls_config back, short_order = good;
    ls_backend backend;
    CHECK_STATUS(ls_sampler_config(out, &back), LS_OK);
    CHECK(back.temperature == good.temperature && back.min_p == good.min_p &&
          back.top_k == good.top_k && back.top_p == good.top_p);
    CHECK(back.order_len == good.order_len);
    CHECK(memcmp(back.order, good.order, sizeof back.order) == 0);
    /* A shorter order (entries past order_len are ignored, whatever they hold) comes back
     * with LS_STAGE_COUNT past its end; the same config makes the same sampler. */
    short_order.order[0] = LS_STAGE_TOP_K;
    short_order.order[1] = LS_STAGE_TEMPERATURE;
    short_order.order[2] = LS_STAGE_TOP_P;
    short_order.order[3] = LS_STAGE_MIN_P;
    short_order.order[4] = (ls_stage)99;
    short_order.order[5] = LS_STAGE_TOP_K;
    short_order.order_len = 4;
    CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &short_order, &out, &err), LS_OK);
    CHECK_STATUS(ls_sampler_config(out, &back), LS_OK);
    CHECK(back.order_len == 4 && back.order[0] == LS_STAGE_TOP_K &&
          back.order[3] == LS_STAGE_MIN_P && back.order[4] == LS_STAGE_COUNT &&
          back.order[5] == LS_STAGE_COUNT && back.order[8] == LS_STAGE_COUNT);
    CHECK(back.repeat_penalty == good.repeat_penalty && back.dry_base == good.dry_base);
    CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &back, &out, &err), LS_OK);
    /* The default config needs no stage at all: every one is off. */
    CHECK_STATUS(ls_config_default(&back), LS_OK);
    back.order_len = 0;
    CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &back, &out, &err), LS_OK);
    /* Mirostat off: its tau, eta and m are not looked at. */
    back.mirostat_tau = NAN;
    back.mirostat_m = 0;
    CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &back, &out, &err), LS_OK);
    CHECK_STATUS(ls_sampler_backend(out, &backend), LS_OK);
    CHECK(backend == ls_backend_detect());
    CHECK_STATUS(ls_sampler_config(NULL, &back), LS_NULL_POINTER);
    CHECK_STATUS(ls_sampler_config(out, NULL), LS_NULL_POINTER);
    CHECK_STATUS(ls_sampler_backend(out, NULL), LS_NULL_POINTER);
    CHECK_STATUS(ls_sampler_last_error(NULL, &err), LS_NULL_POINTER);
    CHECK_STATUS(ls_sampler_last_error(out, NULL), LS_NULL_POINTER);
  }
}

/* Bad input to ls_sample: each error with its detail; logits, token, generator untouched. */
static void test_sample_errors(void) {
  ls_config cfg = config(0.7f, 0.0f, 10, 0.9f);
  ls_sampler *s = make(&cfg);
  ls_rng rng, rng_before;
  uint32_t token = 4242;
  size_t n = load(1), i;
  ls_error e;
  CHECK_STATUS(ls_rng_seed(&rng, 7), LS_OK);
  rng_before = rng;

  buffer[5] = NAN;
  buffer[9] = NAN;
  memcpy(copy, buffer, n * sizeof(float));
  CHECK_STATUS(ls_sample(s, buffer, n, &rng, &token), LS_NAN_LOGIT);
  e = last_error(s);
  CHECK(e.status == LS_NAN_LOGIT && e.index == 5);
  CHECK(memcmp(copy, buffer, n * sizeof(float)) == 0);
  CHECK_STATUS(ls_distribution_in_place(s, buffer, n), LS_NAN_LOGIT);
  CHECK(memcmp(copy, buffer, n * sizeof(float)) == 0);

  for (i = 0; i < n; i++) buffer[i] = -INFINITY;
  memcpy(copy, buffer, n * sizeof(float));
  CHECK_STATUS(ls_sample(s, buffer, n, &rng, &token), LS_NO_CANDIDATES);
  CHECK_STATUS(ls_distribution_in_place(s, buffer, n), LS_NO_CANDIDATES);
  CHECK(memcmp(copy, buffer, n * sizeof(float)) == 0);

  n = load(1);
  memcpy(copy, buffer, n * sizeof(float));
  CHECK_STATUS(ls_sample(s, buffer, 0, &rng, &token), LS_EMPTY);
  CHECK_STATUS(ls_sample(NULL, buffer, n, &rng, &token), LS_NULL_POINTER);
  CHECK_STATUS(ls_sample(s, NULL, n, &rng, &token), LS_NULL_POINTER);
  CHECK(last_error(s).argument == 2);
  CHECK_STATUS(ls_sample(s, NULL, 0, &rng, &token), LS_NULL_POINTER);
  CHECK_STATUS(ls_sample(s, buffer, n, NULL, &token), LS_NULL_POINTER);
  CHECK(last_error(s).argument == 4);
  CHECK_STATUS(ls_sample(s, buffer, n, &rng, NULL), LS_NULL_POINTER);
  CHECK(last_error(s).argument == 5);
  CHECK_STATUS(ls_sample(s, (float *)misaligned(buffer), n - 1, &rng, &token), LS_BAD_ALIGNMENT);
  CHECK(last_error(s).argument == 2);
  CHECK_STATUS(ls_sample(s, buffer, n, (ls_rng *)misaligned(&rng), &token), LS_BAD_ALIGNMENT);
  CHECK(last_error(s).argument == 4);
  CHECK_STATUS(ls_sample(s, buffer, n, &rng, (uint32_t *)misaligned(&token)), LS_BAD_ALIGNMENT);
  CHECK_STATUS(ls_sample((ls_sampler *)misaligned(s), buffer, n, &rng, &token), LS_BAD_ALIGNMENT);
  CHECK_STATUS(ls_distribution_in_place(NULL, buffer, n), LS_NULL_POINTER);
  CHECK_STATUS(ls_distribution_in_place(s, NULL, n), LS_NULL_POINTER);
  CHECK_STATUS(ls_distribution_in_place(s, buffer, 0), LS_EMPTY);
  if ((uint64_t)SIZE_MAX > (uint64_t)UINT32_MAX) {
    /* A length beyond the u32 token ids is refused before the buffer is read. */
    size_t too_long = (size_t)((uint64_t)UINT32_MAX + 1);
    CHECK_STATUS(ls_sample(s, buffer, too_long, &rng, &token), LS_TOO_LONG);
    e = last_error(s);
    CHECK(e.len == too_long);
    CHECK_STATUS(ls_distribution_in_place(s, buffer, (size_t)-1), LS_TOO_LONG);
  }
  CHECK(memcmp(copy, buffer, n * sizeof(float)) == 0);
  CHECK(token == 4242);
  CHECK(memcmp(&rng, &rng_before, sizeof rng) == 0);
  {
    size_t len = 99;
    CHECK_STATUS(ls_sampler_history_len(s, &len), LS_OK);
    CHECK(len == 0); /* nothing recorded by a failed call */
  }

  /* A success clears the last error. */
  CHECK_STATUS(ls_sample(s, buffer, n, &rng, &token), LS_OK);
  CHECK(last_error(s).status == LS_OK && token < n);
}

static size_t history(const ls_sampler *s, uint32_t *out, size_t cap) {
  size_t len = (size_t)-1;
  CHECK_STATUS(ls_sampler_history(s, out, cap, &len), LS_OK);
  return len;
}

/* ls_accept, ls_reset, ls_sampler_history(_len): the last LS_HISTORY tokens, oldest first. */
static void test_history(void) {
  ls_config cfg = config(1.0f, 0.0f, 0, 1.0f);
  ls_sampler *s = make(&cfg);
  static uint32_t h[LS_HISTORY + 8];
  uint32_t token = 0, t;
  size_t len = 99, i;
  ls_rng rng;
  CHECK_STATUS(ls_sampler_history_len(s, &len), LS_OK);
  CHECK(len == 0);
  CHECK(history(s, h, LS_HISTORY) == 0);
  CHECK(history(s, NULL, 0) == 0); /* NULL is fine for an empty copy */
  CHECK_STATUS(ls_accept(s, 5), LS_OK);
  CHECK_STATUS(ls_accept(s, 0xffffffffu), LS_OK); /* any id: beyond the logits it is ignored */
  CHECK_STATUS(ls_accept(s, 9), LS_OK);
  CHECK(last_error(s).status == LS_OK);
  CHECK(history(s, h, LS_HISTORY + 8) == 3 && h[0] == 5 && h[1] == 0xffffffffu && h[2] == 9);
  /* A smaller copy keeps the newest tokens. */
  h[2] = 1234;
  CHECK(history(s, h, 2) == 2 && h[0] == 0xffffffffu && h[1] == 9 && h[2] == 1234);
  /* ls_sample records the token it returns. */
  CHECK_STATUS(ls_rng_seed(&rng, 3), LS_OK);
  load(0);
  CHECK_STATUS(ls_sample(s, buffer, 8, &rng, &token), LS_OK);
  CHECK(history(s, h, LS_HISTORY) == 4 && h[3] == token);
  /* The history holds the last LS_HISTORY tokens. */
  for (t = 0; t < LS_HISTORY + 44; t++) CHECK_STATUS(ls_accept(s, 1000 + t), LS_OK);
  CHECK_STATUS(ls_sampler_history_len(s, &len), LS_OK);
  CHECK(len == LS_HISTORY);
  CHECK(history(s, h, LS_HISTORY + 8) == LS_HISTORY);
  for (i = 0; i < LS_HISTORY; i++) CHECK(h[i] == 1044 + i);
  CHECK_STATUS(ls_reset(s), LS_OK);
  CHECK_STATUS(ls_sampler_history_len(s, &len), LS_OK);
  CHECK(len == 0);
  /* Errors: nothing written. */
  h[0] = 77;
  len = 88;
  CHECK_STATUS(ls_accept(NULL, 1), LS_NULL_POINTER);
  CHECK_STATUS(ls_reset(NULL), LS_NULL_POINTER);
  CHECK_STATUS(ls_accept((ls_sampler *)misaligned(s), 1), LS_BAD_ALIGNMENT);
  CHECK_STATUS(ls_sampler_history_len(NULL, &len), LS_NULL_POINTER);
  CHECK_STATUS(ls_sampler_history_len(s, NULL), LS_NULL_POINTER);
  CHECK_STATUS(ls_sampler_history(NULL, h, 4, &len), LS_NULL_POINTER);
  CHECK_STATUS(ls_sampler_history(s, NULL, 4, &len), LS_NULL_POINTER);
  CHECK_STATUS(ls_sampler_history(s, h, 4, NULL), LS_NULL_POINTER);
  CHECK_STATUS(ls_sampler_history(s, (uint32_t *)misaligned(h), 4, &len), LS_BAD_ALIGNMENT);
  if ((uint64_t)SIZE_MAX > (uint64_t)UINT32_MAX) {
    CHECK_STATUS(ls_sampler_history(s, h, (size_t)-1, &len), LS_TOO_LONG);
  }
  CHECK(h[0] == 77 && len == 88);
}

/* The distribution a sampler draws from, into `out`. */
static void distribution(ls_sampler *s, const float *logits, size_t n, float *out) {
  memcpy(out, logits, n * sizeof(float));
  CHECK_STATUS(ls_distribution_in_place(s, out, n), LS_OK);
}

/* The penalties and DRY on tiny examples: the distribution with a history is the plain
 * sampler's on logits penalised by hand (llama.cpp's formulas), bit for bit. */
static void test_penalties_and_dry(void) {
  const float logits[4] = {2.0f, 3.0f, -1.0f, 0.5f};
  /* Token 1 (seen twice): 3 / 2 - (2 * 0.5 + 0.25); token 2 (once): -1 * 2 - (0.5 + 0.25). */
  const float penalised[4] = {2.0f, 0.25f, -2.75f, 0.5f};
  ls_config plain_cfg = config(1.0f, 0.0f, 0, 1.0f), cfg = plain_cfg;
  ls_sampler *s, *plain = make_in(&storage2, &plain_cfg);
  float got[5], want[5];
  uint32_t token = 0;
  ls_rng rng;
  size_t i;
  cfg.repeat_penalty = 2.0f;
  cfg.frequency_penalty = 0.5f;
  cfg.presence_penalty = 0.25f;
  cfg.penalty_last_n = 4;
  s = make(&cfg);
  distribution(s, logits, 4, got); /* no history yet: no penalty */
  distribution(plain, logits, 4, want);
  CHECK(memcmp(got, want, sizeof(float) * 4) == 0);
  CHECK_STATUS(ls_accept(s, 1), LS_OK);
  CHECK_STATUS(ls_accept(s, 2), LS_OK);
  CHECK_STATUS(ls_accept(s, 1), LS_OK);
  distribution(s, logits, 4, got);
  distribution(plain, penalised, 4, want);
  CHECK(memcmp(got, want, sizeof(float) * 4) == 0);
  distribution(plain, logits, 4, want);
  CHECK(got[1] < want[1] && got[2] < want[2] && got[0] > want[0] && got[3] > want[3]);
  /* Four tokens beyond the vocabulary push 1 and 2 out of the window of 4. */
  for (i = 0; i < 4; i++) CHECK_STATUS(ls_accept(s, 100), LS_OK);
  distribution(s, logits, 4, got);
  CHECK(memcmp(got, want, sizeof(float) * 4) == 0);

  /* Greedy with a repetition penalty: the argmax, once repeated, loses to the runner-up. */
  cfg = config(0.0f, 0.0f, 0, 1.0f);
  cfg.repeat_penalty = 2.0f;
  cfg.penalty_last_n = 1;
  s = make(&cfg);
  CHECK_STATUS(ls_rng_seed(&rng, 1), LS_OK);
  memcpy(got, logits, sizeof logits);
  CHECK_STATUS(ls_sample(s, got, 4, &rng, &token), LS_OK);
  CHECK(token == 1);
  memcpy(got, logits, sizeof logits);
  CHECK_STATUS(ls_sample(s, got, 4, &rng, &token), LS_OK);
  CHECK(token == 0); /* 3 / 2 < 2 */
  memcpy(got, logits, sizeof logits);
  CHECK_STATUS(ls_sample(s, got, 4, &rng, &token), LS_OK);
  CHECK(token == 1); /* only the last token is in the window */

  /* DRY: after 1 2 3 1 2, token 3 would extend the repeated "1 2" (length 2 = allowed):
   * it loses multiplier * base^0 = 1. A one-token breaker is never penalised; a breaker
   * after which fewer than the allowed length of tokens follow stops DRY altogether. */
  {
    const float flat[5] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
    const float dry_penalised[5] = {0.0f, 0.0f, 0.0f, -1.0f, 0.0f};
    const uint32_t prompt[5] = {1, 2, 3, 1, 2};
    const uint32_t three = 3, three_then_one[2] = {3, 1};
    const size_t one = 1, two = 2;
    cfg = config(1.0f, 0.0f, 0, 1.0f);
    cfg.dry_multiplier = 1.0f;
    cfg.dry_base = 2.0f;
    cfg.dry_allowed_length = 2;
    cfg.dry_penalty_last_n = 8;
    s = make(&cfg);
    for (i = 0; i < 5; i++) CHECK_STATUS(ls_accept(s, prompt[i]), LS_OK);
    distribution(s, flat, 5, got);
    distribution(plain, dry_penalised, 5, want);
    CHECK(memcmp(got, want, sizeof(float) * 5) == 0);
    CHECK(got[3] < got[0] && got[0] == got[4]);
    CHECK_STATUS(ls_sampler_set_dry_breakers(s, &three, &one, 1), LS_OK);
    distribution(s, flat, 5, got);
    distribution(plain, flat, 5, want);
    CHECK(memcmp(got, want, sizeof(float) * 5) == 0);
    /* The breaker "3 1" occurs at positions 2-3: only one token (2) follows it, fewer
     * than the allowed length. */
    CHECK_STATUS(ls_sampler_set_dry_breakers(s, three_then_one, &two, 1), LS_OK);
    distribution(s, flat, 5, got);
    CHECK(memcmp(got, want, sizeof(float) * 5) == 0);
    /* Clearing the breakers brings the penalty back; ls_reset keeps them but empties the
     * history. */
    CHECK_STATUS(ls_sampler_set_dry_breakers(s, NULL, NULL, 0), LS_OK);
    distribution(s, flat, 5, got);
    distribution(plain, dry_penalised, 5, want);
    CHECK(memcmp(got, want, sizeof(float) * 5) == 0);
    CHECK_STATUS(ls_reset(s), LS_OK);
    distribution(s, flat, 5, got);
    distribution(plain, flat, 5, want);
    CHECK(memcmp(got, want, sizeof(float) * 5) == 0);
  }
}

/* ls_sampler_set_dry_breakers: every error with its detail, and the sampler unchanged. */
static void test_breakers(void) {
  const float flat[5] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
  const uint32_t prompt[5] = {1, 2, 3, 1, 2};
  static uint32_t tokens[LS_MAX_DRY_BREAKER_TOKENS + 1];
  size_t lens[LS_MAX_DRY_BREAKERS + 1];
  ls_config cfg = config(1.0f, 0.0f, 0, 1.0f);
  ls_sampler *s;
  float before[5], after[5];
  uint32_t h[8];
  ls_error e;
  size_t i;
  cfg.dry_multiplier = 1.0f;
  cfg.dry_penalty_last_n = 8;
  s = make(&cfg);
  for (i = 0; i < 5; i++) CHECK_STATUS(ls_accept(s, prompt[i]), LS_OK);
  for (i = 0; i <= LS_MAX_DRY_BREAKER_TOKENS; i++) tokens[i] = 7;
  for (i = 0; i <= LS_MAX_DRY_BREAKERS; i++) lens[i] = 1;
  distribution(s, flat, 5, before);

  lens[1] = 0;
  CHECK_STATUS(ls_sampler_set_dry_breakers(s, tokens, lens, 3), LS_INVALID_DRY_BREAKER);
  e = last_error(s);
  CHECK(e.index == 1 && e.len == 0);
  lens[1] = LS_MAX_DRY_BREAKER_LEN + 1;
  CHECK_STATUS(ls_sampler_set_dry_breakers(s, tokens, lens, 2), LS_INVALID_DRY_BREAKER);
  e = last_error(s);
  CHECK(e.index == 1 && e.len == LS_MAX_DRY_BREAKER_LEN + 1);
  lens[1] = 1;
  CHECK_STATUS(ls_sampler_set_dry_breakers(s, tokens, lens, LS_MAX_DRY_BREAKERS + 1),
               LS_CAPACITY_EXCEEDED);
  e = last_error(s);
  CHECK(e.len == LS_MAX_DRY_BREAKERS + 1 && e.capacity == LS_MAX_DRY_BREAKERS);
  lens[0] = LS_MAX_DRY_BREAKER_LEN;
  lens[1] = LS_MAX_DRY_BREAKER_LEN;
  lens[2] = LS_MAX_DRY_BREAKER_LEN;
  lens[3] = LS_MAX_DRY_BREAKER_TOKENS + 1 - 3 * LS_MAX_DRY_BREAKER_LEN;
  CHECK_STATUS(ls_sampler_set_dry_breakers(s, tokens, lens, 4), LS_CAPACITY_EXCEEDED);
  e = last_error(s);
  CHECK(e.len == LS_MAX_DRY_BREAKER_TOKENS + 1 && e.capacity == LS_MAX_DRY_BREAKER_TOKENS);
  CHECK_STATUS(ls_sampler_set_dry_breakers(s, NULL, lens, 2), LS_NULL_POINTER);
  CHECK(last_error(s).argument == 2);
  CHECK_STATUS(ls_sampler_set_dry_breakers(s, tokens, NULL, 2), LS_NULL_POINTER);
  CHECK(last_error(s).argument == 3);
  CHECK_STATUS(ls_sampler_set_dry_breakers(s, (uint32_t *)misaligned(tokens), lens, 2),
               LS_BAD_ALIGNMENT);
  CHECK(last_error(s).argument == 2);
  CHECK_STATUS(ls_sampler_set_dry_breakers(s, tokens, (size_t *)misaligned(lens), 2),
               LS_BAD_ALIGNMENT);
  CHECK(last_error(s).argument == 3);
  lens[0] = (size_t)-1;
  CHECK_STATUS(ls_sampler_set_dry_breakers(s, tokens, lens, 2), LS_TOO_LONG);
  CHECK_STATUS(ls_sampler_set_dry_breakers(NULL, tokens, lens, 1), LS_NULL_POINTER);
  /* Nothing changed: the same history, the same penalty. */
  CHECK(history(s, h, 8) == 5 && memcmp(h, prompt, sizeof prompt) == 0);
  distribution(s, flat, 5, after);
  CHECK(memcmp(before, after, sizeof before) == 0);
  /* The most the sampler holds is fine. */
  for (i = 0; i < LS_MAX_DRY_BREAKERS; i++) lens[i] = LS_MAX_DRY_BREAKER_TOKENS / LS_MAX_DRY_BREAKERS;
  CHECK_STATUS(ls_sampler_set_dry_breakers(s, tokens, lens, LS_MAX_DRY_BREAKERS), LS_OK);
}

/* ls_sample_with: the same token as ls_sample with no constraints, masks, bans, the top
 * slice and the logprobs; every error with its detail and nothing changed. */
static void test_sample_with(void) {
  ls_config cfg = config(0.9f, 0.0f, 30, 0.95f);
  ls_sampler *a, *b;
  ls_rng ra, rb;
  ls_constraints none;
  ls_token_logprob top[8];
  ls_sampled out;
  uint32_t token = 0, ha[LS_HISTORY], hb[LS_HISTORY];
  size_t n = load(1), i, d;
  cfg.repeat_penalty = 1.2f;
  cfg.penalty_last_n = 16;
  cfg.dry_multiplier = 0.5f;
  cfg.dry_penalty_last_n = 32;
  memset(&none, 0, sizeof none);
  a = make_in(&storage, &cfg);
  b = make_in(&storage2, &cfg);
  CHECK_STATUS(ls_rng_seed(&ra, 17), LS_OK);
  CHECK_STATUS(ls_rng_seed(&rb, 17), LS_OK);
  for (d = 0; d < 40; d++) {
    n = load(1);
    CHECK_STATUS(ls_sample(a, buffer, n, &ra, &token), LS_OK);
    n = load(1);
    /* No constraints: a NULL pointer, a zeroed struct; no top slice: NULL and 0. */
    CHECK_STATUS(ls_sample_with(b, buffer, n, &rb, (d & 1) ? &none : NULL, NULL, 0, &out), LS_OK);
    CHECK(out.token == token);
  }
  CHECK(history(a, ha, LS_HISTORY) == 40 && history(b, hb, LS_HISTORY) == 40);
  CHECK(memcmp(ha, hb, sizeof(uint32_t) * 40) == 0);
  CHECK(memcmp(&ra, &rb, sizeof ra) == 0); /* one word each */

  /* A mask that allows one token always returns it (token 4 of set 0 is far below the
   * top). */
  {
    uint32_t mask[1] = {1u << 4};
    ls_constraints only;
    memset(&only, 0, sizeof only);
    only.allowed = mask;
    only.allowed_words = 1;
    for (d = 0; d < 20; d++) {
      n = load(0);
      CHECK_STATUS(ls_sample_with(b, buffer, n, &rb, &only, top, 3, &out), LS_OK);
      CHECK(out.token == 4 && out.sampling_logprob == 0.0f);
      CHECK(out.logprob < top[0].logprob);
    }
    n = load(0);
    CHECK_STATUS(ls_distribution_in_place_with(b, buffer, n, &only), LS_OK);
    for (i = 0; i < n; i++) CHECK(buffer[i] == (i == 4 ? 1.0f : 0.0f));
    /* ls_sample_constrained: the same draw without logprobs. */
    n = load(0);
    CHECK_STATUS(ls_sample_constrained(b, buffer, n, &rb, &only, &token), LS_OK);
    CHECK(token == 4);
  }
  /* ls_sample_constrained draws what ls_sample_with draws, word for word of the generator. */
  {
    static uint32_t mask[(MAX_VOCAB + 31) / 32];
    ls_constraints some;
    for (i = 0; i < (MAX_VOCAB + 31) / 32; i++) mask[i] = (i % 3 == 0) ? 0x55555555u : 0xffu;
    memset(&some, 0, sizeof some);
    some.allowed = mask;
    some.allowed_words = (MAX_VOCAB + 31) / 32;
    CHECK_STATUS(ls_rng_seed(&ra, 5), LS_OK);
    CHECK_STATUS(ls_rng_seed(&rb, 5), LS_OK);
    a = make_in(&storage, &cfg);
    b = make_in(&storage2, &cfg);
    for (d = 0; d < 30; d++) {
      n = load(1);
      CHECK_STATUS(ls_sample_with(a, buffer, n, &ra, &some, NULL, 0, &out), LS_OK);
      n = load(1);
      CHECK_STATUS(ls_sample_constrained(b, buffer, n, &rb, &some, &token), LS_OK);
      CHECK(out.token == token && (mask[token / 32] >> (token % 32) & 1u) == 1u);
    }
    n = load(1);
    CHECK_STATUS(ls_sample_constrained(b, buffer, n, &rb, &some, NULL), LS_NULL_POINTER);
  }

  /* A -INFINITY bias bans: greedy then takes the runner-up, and the distribution gives the
   * banned token 0. */
  {
    ls_config greedy;
    ls_logit_bias ban[1];
    ls_constraints c;
    uint32_t argmax = 0;
    CHECK_STATUS(ls_config_greedy(&greedy), LS_OK);
    a = make_in(&storage, &greedy);
    n = load(4);
    CHECK_STATUS(ls_argmax(buffer, n, &argmax, NULL), LS_OK);
    ban[0].token = argmax;
    ban[0].bias = -INFINITY;
    memset(&c, 0, sizeof c);
    c.logit_bias = ban;
    c.logit_bias_len = 1;
    CHECK_STATUS(ls_sample_with(a, buffer, n, &ra, &c, top, 2, &out), LS_OK);
    CHECK(out.token != argmax && out.token == top[1].token && top[0].token == argmax);
    CHECK(out.logprob == top[1].logprob && out.sampling_logprob == 0.0f);
    n = load(4);
    CHECK_STATUS(ls_distribution_in_place_with(b, buffer, n, &c), LS_OK);
    CHECK(buffer[argmax] == 0.0f);
  }

  /* The top slice: the most likely tokens of the model distribution, descending, ties to
   * the lowest id; slots past the vocabulary get UINT32_MAX and -INFINITY. */
  {
    n = load(0); /* ties at the top (tokens 0 and 7), -inf at 5 */
    memcpy(copy, buffer, n * sizeof(float));
    CHECK_STATUS(ls_sample_with(b, buffer, n, &rb, NULL, top, 8, &out), LS_OK);
    for (i = 0; i + 1 < 8; i++) {
      CHECK(top[i].logprob > top[i + 1].logprob ||
            (top[i].logprob == top[i + 1].logprob && top[i].token < top[i + 1].token));
    }
    CHECK(top[0].token == 0 && top[1].token == 7 && top[0].logprob == top[1].logprob);
    CHECK(top[7].token == 5 && top[7].logprob == -INFINITY);
    /* Log-probabilities differ as the logits do (the model distribution: T = 1). */
    for (i = 1; i < 7; i++) {
      float gap = (top[0].logprob - top[i].logprob) - (copy[0] - copy[top[i].token]);
      CHECK(gap < 1e-5f && gap > -1e-5f);
    }
    for (i = 0; i < 8; i++) {
      if (top[i].token == out.token) CHECK(top[i].logprob == out.logprob);
    }
    n = load(0);
    CHECK_STATUS(ls_sample_with(b, buffer, 3, &rb, NULL, top, 5, &out), LS_OK);
    CHECK(top[2].token == 2 && top[3].token == UINT32_MAX && top[3].logprob == -INFINITY &&
          top[4].token == UINT32_MAX);
  }
}

/* ls_sample_with's and ls_distribution_in_place_with's errors: each with its detail; the
 * logits, the top slice, *out, the generator and the history untouched. */
static void test_sample_with_errors(void) {
  ls_config cfg = config(0.8f, 0.0f, 0, 1.0f);
  ls_sampler *s = make(&cfg);
  ls_rng rng, rng_before;
  ls_logit_bias bias[LS_MAX_FINITE_BIAS + 1];
  uint32_t mask[4] = {0xffffffffu, 0xffffffffu, 0, 0};
  ls_constraints c;
  ls_token_logprob top[4], top_before[4];
  ls_sampled out, out_before;
  ls_error e;
  size_t n = load(0), i, len = 9;
  memset(top, 0xab, sizeof top);
  memcpy(top_before, top, sizeof top);
  memset(&out, 0xcd, sizeof out);
  out_before = out;
  CHECK_STATUS(ls_rng_seed(&rng, 11), LS_OK);
  rng_before = rng;
  memcpy(copy, buffer, n * sizeof(float));
  memset(&c, 0, sizeof c);
  c.logit_bias = bias;

  bias[0].token = 3;
  bias[0].bias = 1.0f;
  bias[1].token = 8; /* n is 8 */
  bias[1].bias = 1.0f;
  c.logit_bias_len = 2;
  CHECK_STATUS(ls_sample_with(s, buffer, n, &rng, &c, top, 4, &out), LS_TOKEN_OUT_OF_RANGE);
  e = last_error(s);
  CHECK(e.token == 8 && e.len == 8);
  bias[1].token = 4;
  bias[1].bias = NAN;
  CHECK_STATUS(ls_sample_with(s, buffer, n, &rng, &c, top, 4, &out), LS_INVALID_LOGIT_BIAS);
  e = last_error(s);
  CHECK(e.index == 1 && isnan(e.value));
  bias[1].bias = INFINITY;
  CHECK_STATUS(ls_distribution_in_place_with(s, buffer, n, &c), LS_INVALID_LOGIT_BIAS);
  e = last_error(s);
  CHECK(e.index == 1 && e.value == INFINITY);
  for (i = 0; i <= LS_MAX_FINITE_BIAS; i++) {
    bias[i].token = (uint32_t)(i % 8);
    bias[i].bias = 0.5f;
  }
  c.logit_bias_len = LS_MAX_FINITE_BIAS + 1;
  CHECK_STATUS(ls_sample_with(s, buffer, n, &rng, &c, top, 4, &out), LS_CAPACITY_EXCEEDED);
  e = last_error(s);
  CHECK(e.len == LS_MAX_FINITE_BIAS + 1 && e.capacity == LS_MAX_FINITE_BIAS);
  bias[0].bias = -INFINITY; /* bans do not count */
  CHECK_STATUS(ls_distribution_in_place_with(s, buffer, n, &c), LS_OK);
  memcpy(buffer, copy, n * sizeof(float));

  c.logit_bias_len = 0;
  c.allowed = mask;
  c.allowed_words = 0;
  CHECK_STATUS(ls_sample_with(s, buffer, n, &rng, &c, top, 4, &out), LS_MASK_TOO_SHORT);
  e = last_error(s);
  CHECK(e.len == 0 && e.capacity == 1);
  {
    static float big[100];
    for (i = 0; i < 100; i++) big[i] = (float)i * 0.01f;
    c.allowed_words = 3;
    CHECK_STATUS(ls_sample_with(s, big, 100, &rng, &c, top, 4, &out), LS_MASK_TOO_SHORT);
    e = last_error(s);
    CHECK(e.len == 3 && e.capacity == 4);
    /* Tokens 0 to 63 allowed; 64 to 99 not. */
    c.allowed_words = 4;
    CHECK_STATUS(ls_distribution_in_place_with(s, big, 100, &c), LS_OK);
    CHECK(big[63] > 0.0f && big[64] == 0.0f && big[99] == 0.0f);
  }
  mask[0] = 0;
  c.allowed_words = 1;
  CHECK_STATUS(ls_sample_with(s, buffer, n, &rng, &c, top, 4, &out), LS_NO_TOKEN_ALLOWED);
  mask[0] = 1u << 5; /* only token 5, whose logit is -inf */
  CHECK_STATUS(ls_sample_with(s, buffer, n, &rng, &c, top, 4, &out), LS_NO_TOKEN_ALLOWED);
  mask[0] = 1u << 6; /* only token 6, banned */
  bias[0].token = 6;
  bias[0].bias = -INFINITY;
  c.logit_bias_len = 1;
  CHECK_STATUS(ls_sample_with(s, buffer, n, &rng, &c, top, 4, &out), LS_NO_TOKEN_ALLOWED);
  CHECK_STATUS(ls_distribution_in_place_with(s, buffer, n, &c), LS_NO_TOKEN_ALLOWED);

  /* Pointers: the constraints' arrays are named by the constraints' position (5, or 4). */
  c.allowed = NULL;
  c.allowed_words = 1;
  CHECK_STATUS(ls_sample_with(s, buffer, n, &rng, &c, top, 4, &out), LS_NULL_POINTER);
  CHECK(last_error(s).argument == 5);
  CHECK_STATUS(ls_distribution_in_place_with(s, buffer, n, &c), LS_NULL_POINTER);
  CHECK(last_error(s).argument == 4);
  c.allowed_words = 0;
  c.logit_bias = NULL;
  c.logit_bias_len = 1;
  CHECK_STATUS(ls_sample_with(s, buffer, n, &rng, &c, top, 4, &out), LS_NULL_POINTER);
  CHECK(last_error(s).argument == 5);
  c.logit_bias = (const ls_logit_bias *)misaligned(bias);
  CHECK_STATUS(ls_sample_with(s, buffer, n, &rng, &c, top, 4, &out), LS_BAD_ALIGNMENT);
  CHECK(last_error(s).argument == 5);
  if ((uint64_t)SIZE_MAX > (uint64_t)UINT32_MAX) {
    c.logit_bias = bias;
    c.logit_bias_len = (size_t)((uint64_t)UINT32_MAX + 1);
    CHECK_STATUS(ls_sample_with(s, buffer, n, &rng, &c, top, 4, &out), LS_TOO_LONG);
    CHECK(last_error(s).argument == 5);
    CHECK_STATUS(ls_sample_with(s, buffer, n, &rng, NULL, top, (size_t)-1, &out), LS_TOO_LONG);
    CHECK(last_error(s).argument == 6);
  }
  CHECK_STATUS(ls_sample_with(s, buffer, n, &rng, (const ls_constraints *)misaligned(&c), top, 4,
                              &out),
               LS_BAD_ALIGNMENT);
  CHECK(last_error(s).argument == 5);
  CHECK_STATUS(ls_sample_with(s, buffer, n, &rng, NULL, NULL, 4, &out), LS_NULL_POINTER);
  CHECK(last_error(s).argument == 6);
  CHECK_STATUS(ls_sample_with(s, buffer, n, &rng, NULL, top, 4, NULL), LS_NULL_POINTER);
  CHECK(last_error(s).argument == 8);
  CHECK_STATUS(ls_sample_with(s, buffer, n, &rng, NULL, top, 4, (ls_sampled *)misaligned(&out)),
               LS_BAD_ALIGNMENT);
  CHECK(last_error(s).argument == 8);
  CHECK_STATUS(ls_sample_with(s, buffer, n, NULL, NULL, top, 4, &out), LS_NULL_POINTER);
  CHECK(last_error(s).argument == 4);
  CHECK_STATUS(ls_sample_with(s, NULL, n, &rng, NULL, top, 4, &out), LS_NULL_POINTER);
  CHECK(last_error(s).argument == 2);
  CHECK_STATUS(ls_sample_with(NULL, buffer, n, &rng, NULL, top, 4, &out), LS_NULL_POINTER);
  CHECK_STATUS(ls_distribution_in_place_with(NULL, buffer, n, NULL), LS_NULL_POINTER);
  /* The logits' own errors. */
  buffer[2] = NAN;
  CHECK_STATUS(ls_sample_with(s, buffer, n, &rng, NULL, top, 4, &out), LS_NAN_LOGIT);
  CHECK(last_error(s).index == 2);
  CHECK_STATUS(ls_distribution_in_place_with(s, buffer, n, NULL), LS_NAN_LOGIT);
  buffer[2] = copy[2];
  CHECK_STATUS(ls_sample_with(s, buffer, 0, &rng, NULL, top, 4, &out), LS_EMPTY);

  CHECK(memcmp(copy, buffer, n * sizeof(float)) == 0);
  CHECK(memcmp(top, top_before, sizeof top) == 0);
  CHECK(memcmp(&out, &out_before, sizeof out) == 0);
  CHECK(memcmp(&rng, &rng_before, sizeof rng) == 0);
  CHECK_STATUS(ls_sampler_history_len(s, &len), LS_OK);
  CHECK(len == 0);
}

/* A callback generator for counting words: a seeded ls_rng behind a callback, counting
 * its calls. */
typedef struct counted {
  ls_rng inner;
  unsigned calls;
} counted;

static uint64_t next_counted(void *context) {
  counted *c = (counted *)context;
  uint64_t word = 0;
  c->calls++;
  ls_rng_next_u64(&c->inner, &word);
  return word;
}

/* A callback generator over `*c`, seeded with `seed`, its count at 0. */
static ls_rng counting(counted *c, uint64_t seed) {
  ls_rng callback;
  CHECK_STATUS(ls_rng_seed(&c->inner, seed), LS_OK);
  c->calls = 0;
  CHECK_STATUS(ls_rng_callback(&callback, next_counted, c), LS_OK);
  return callback;
}

/* The shape stages on small worked examples: top-n-sigma's cut, XTC's removal of the top
 * choices and its coin (a second generator word, in every sampling call), mirostat's mu. */
static void test_shape_stages(void) {
  const float ramp[5] = {0.0f, 1.0f, 2.0f, 3.0f, 4.0f};
  ls_config cfg = config(1.0f, 0.0f, 0, 1.0f);
  ls_sampler *s;
  float got[8];
  float mu = -1.0f;
  uint32_t token = 0;
  ls_sampled out;
  ls_rng rng;
  size_t i, n;

  /* top-n-sigma 1 over 0 1 2 3 4 (mean 2, sigma sqrt 2): keeps the logits >= 4 - 1.414. */
  cfg.top_n_sigma = 1.0f;
  s = make(&cfg);
  distribution(s, ramp, 5, got);
  CHECK(got[0] == 0.0f && got[1] == 0.0f && got[2] == 0.0f && got[3] > 0.0f && got[4] > got[3]);
  CHECK(got[3] + got[4] == 1.0f);

  /* XTC always firing, threshold 0.1, on set 0 (p = .282 .189 .155 .063 .005 0 .023 .282):
   * of the tokens at or above 0.1 (0, 1, 2, 7) only the least likely, 2, stays. */
  cfg = config(1.0f, 0.0f, 0, 1.0f);
  cfg.xtc_probability = 1.0f;
  cfg.xtc_threshold = 0.1f;
  s = make(&cfg);
  n = load(0);
  distribution(s, buffer, n, got);
  CHECK(got[0] == 0.0f && got[1] == 0.0f && got[7] == 0.0f && got[5] == 0.0f);
  CHECK(got[2] > got[3] && got[3] > got[6] && got[6] > got[4] && got[4] > 0.0f);
  {
    /* Two words per call, in ls_sample, ls_sample_with and ls_sample_constrained; one when
     * XTC is off, and one under mirostat (which replaces XTC). */
    counted words;
    ls_rng callback = counting(&words, 8);
    for (i = 0; i < 6; i++) {
      n = load(0);
      CHECK_STATUS(ls_sample(s, buffer, n, &callback, &token), LS_OK);
      CHECK(token == 2 || token == 3 || token == 4 || token == 6);
    }
    CHECK(words.calls == 12);
    n = load(0);
    CHECK_STATUS(ls_sample_with(s, buffer, n, &callback, NULL, NULL, 0, &out), LS_OK);
    CHECK(words.calls == 14);
    n = load(0);
    CHECK_STATUS(ls_sample_constrained(s, buffer, n, &callback, NULL, &token), LS_OK);
    CHECK(words.calls == 16);
    /* An error consumes nothing. */
    buffer[1] = NAN;
    CHECK_STATUS(ls_sample(s, buffer, n, &callback, &token), LS_NAN_LOGIT);
    CHECK(words.calls == 16);
    cfg.xtc_probability = 0.0f;
    s = make(&cfg);
    n = load(0);
    CHECK_STATUS(ls_sample(s, buffer, n, &callback, &token), LS_OK);
    CHECK(words.calls == 17);
    cfg.xtc_probability = 1.0f;
    cfg.mirostat = 2;
    s = make(&cfg);
    n = load(0);
    CHECK_STATUS(ls_sample(s, buffer, n, &callback, &token), LS_OK);
    CHECK(words.calls == 18);
  }

  /* Mirostat's mu: 2 tau after init and after ls_reset, moved by each draw, not by the
   * distribution; 0 when mirostat is off. */
  cfg = config(1.0f, 0.0f, 0, 1.0f);
  cfg.mirostat = 2;
  cfg.mirostat_tau = 3.0f;
  cfg.mirostat_eta = 0.5f;
  s = make(&cfg);
  CHECK_STATUS(ls_sampler_mirostat_mu(s, &mu), LS_OK);
  CHECK(mu == 6.0f);
  CHECK_STATUS(ls_rng_seed(&rng, 4), LS_OK);
  for (i = 0; i < 4; i++) {
    n = load(1);
    CHECK_STATUS(ls_sample(s, buffer, n, &rng, &token), LS_OK);
  }
  CHECK_STATUS(ls_sampler_mirostat_mu(s, &mu), LS_OK);
  CHECK(mu != 6.0f && isfinite(mu));
  {
    float before = mu;
    n = load(1);
    CHECK_STATUS(ls_distribution_in_place(s, buffer, n), LS_OK);
    CHECK_STATUS(ls_sampler_mirostat_mu(s, &mu), LS_OK);
    CHECK(mu == before);
  }
  CHECK_STATUS(ls_reset(s), LS_OK);
  CHECK_STATUS(ls_sampler_mirostat_mu(s, &mu), LS_OK);
  CHECK(mu == 6.0f);
  cfg.mirostat = 0;
  s = make(&cfg);
  CHECK_STATUS(ls_sampler_mirostat_mu(s, &mu), LS_OK);
  CHECK(mu == 0.0f);
  mu = 7.0f;
  CHECK_STATUS(ls_sampler_mirostat_mu(NULL, &mu), LS_NULL_POINTER);
  CHECK_STATUS(ls_sampler_mirostat_mu(s, NULL), LS_NULL_POINTER);
  CHECK_STATUS(ls_sampler_mirostat_mu(s, (float *)misaligned(&mu)), LS_BAD_ALIGNMENT);
  CHECK_STATUS(ls_sampler_mirostat_mu((const ls_sampler *)misaligned(s), &mu), LS_BAD_ALIGNMENT);
  CHECK(mu == 7.0f);
}

static void test_set_backend(void) {
  ls_config cfg = config(1.0f, 0.0f, 0, 1.0f);
  ls_sampler *s = make(&cfg);
  ls_backend before, after;
  ls_error e;
  CHECK_STATUS(ls_sampler_backend(s, &before), LS_OK);
  CHECK_STATUS(ls_sampler_set_backend(s, (ls_backend)99), LS_BACKEND_UNAVAILABLE);
  e = last_error(s);
  CHECK(e.backend == 99);
#if defined(__x86_64__)
  CHECK_STATUS(ls_sampler_set_backend(s, LS_BACKEND_NEON), LS_BACKEND_UNAVAILABLE);
  CHECK(last_error(s).backend == LS_BACKEND_NEON);
#elif defined(__aarch64__)
  CHECK_STATUS(ls_sampler_set_backend(s, LS_BACKEND_SSE2), LS_BACKEND_UNAVAILABLE);
#endif
  CHECK_STATUS(ls_sampler_backend(s, &after), LS_OK);
  CHECK(after == before);
  CHECK_STATUS(ls_sampler_set_backend(s, LS_BACKEND_SCALAR), LS_OK);
  CHECK_STATUS(ls_sampler_backend(s, &after), LS_OK);
  CHECK(after == LS_BACKEND_SCALAR);
  CHECK_STATUS(ls_sampler_set_backend(NULL, LS_BACKEND_SCALAR), LS_NULL_POINTER);
}

static void test_free_function_errors(void) {
  size_t n = load(1);
  uint32_t token = 777;
  ls_error e;
  memcpy(copy, buffer, n * sizeof(float));

  CHECK_STATUS(ls_softmax_in_place(buffer, n, -1.0f, &e), LS_INVALID_TEMPERATURE);
  CHECK(e.value == -1.0f);
  CHECK_STATUS(ls_softmax_in_place(buffer, 0, 1.0f, &e), LS_EMPTY);
  CHECK_STATUS(ls_softmax_in_place(NULL, n, 1.0f, &e), LS_NULL_POINTER);
  CHECK(e.argument == 1);
  CHECK_STATUS(ls_softmax_in_place_with((ls_backend)99, buffer, n, 1.0f, &e),
               LS_BACKEND_UNAVAILABLE);
  CHECK(e.backend == 99);
  CHECK_STATUS(ls_softmax_in_place_with(LS_BACKEND_SCALAR, NULL, n, 1.0f, &e), LS_NULL_POINTER);
  CHECK(e.argument == 2);
  CHECK_STATUS(ls_argmax(buffer, 0, &token, &e), LS_EMPTY);
  CHECK_STATUS(ls_argmax(buffer, n, NULL, &e), LS_NULL_POINTER);
  CHECK(e.argument == 3);
  CHECK_STATUS(ls_argmax(buffer, n, &token, (ls_error *)misaligned(&e)), LS_BAD_ALIGNMENT);
  CHECK_STATUS(ls_argmax_with((ls_backend)99, buffer, n, &token, NULL), LS_BACKEND_UNAVAILABLE);
  CHECK(memcmp(copy, buffer, n * sizeof(float)) == 0);

  buffer[3] = NAN;
  CHECK_STATUS(ls_argmax(buffer, n, &token, &e), LS_NAN_LOGIT);
  CHECK(e.index == 3);
  CHECK_STATUS(ls_softmax_in_place(buffer, n, 1.0f, &e), LS_NAN_LOGIT);
  CHECK(e.index == 3 && isnan(buffer[3]) && buffer[4] == copy[4]);
  buffer[3] = copy[3];

  /* Probabilities for the inverse-CDF draw. */
  {
    float probs[4] = {0.25f, 0.5f, -0.1f, 0.25f};
    CHECK_STATUS(ls_sample_inverse_cdf(probs, 4, 0.5f, &token, &e), LS_INVALID_WEIGHT);
    CHECK(e.index == 2);
    probs[2] = INFINITY;
    CHECK_STATUS(ls_sample_inverse_cdf(probs, 4, 0.5f, &token, &e), LS_INVALID_WEIGHT);
    probs[0] = probs[1] = probs[2] = probs[3] = 0.0f;
    CHECK_STATUS(ls_sample_inverse_cdf(probs, 4, 0.5f, &token, &e), LS_ZERO_TOTAL_WEIGHT);
    probs[1] = 1.0f;
    CHECK_STATUS(ls_sample_inverse_cdf(probs, 4, 1.0f, &token, &e), LS_INVALID_UNIFORM);
    CHECK(e.value == 1.0f);
    CHECK_STATUS(ls_sample_inverse_cdf(probs, 4, NAN, &token, &e), LS_INVALID_UNIFORM);
    CHECK_STATUS(ls_sample_inverse_cdf(probs, 0, 0.5f, &token, &e), LS_EMPTY);
    CHECK_STATUS(ls_sample_inverse_cdf_with((ls_backend)99, probs, 4, 0.5f, &token, &e),
                 LS_BACKEND_UNAVAILABLE);
    CHECK(token == 777);
    CHECK_STATUS(ls_sample_inverse_cdf(probs, 4, 0.5f, &token, &e), LS_OK);
    CHECK(token == 1 && e.status == LS_OK);
  }
  for (n = 0; n < 8; n++) buffer[n] = -INFINITY;
  CHECK_STATUS(ls_argmax(buffer, 8, &token, NULL), LS_NO_CANDIDATES);
}

static void test_rng(void) {
  size_t i, j;
  ls_rng rng;
  uint64_t word = 0;
  for (i = 0; i < sizeof EXPECTED_RNG / sizeof EXPECTED_RNG[0]; i++) {
    CHECK_STATUS(ls_rng_seed(&rng, EXPECTED_RNG[i].seed), LS_OK);
    for (j = 0; j < 4; j++) {
      CHECK_STATUS(ls_rng_next_u64(&rng, &word), LS_OK);
      CHECK(word == EXPECTED_RNG[i].words[j]);
    }
  }
  CHECK_STATUS(ls_rng_seed(NULL, 1), LS_NULL_POINTER);
  CHECK_STATUS(ls_rng_pcg32(NULL, 1, 2), LS_NULL_POINTER);
  CHECK_STATUS(ls_rng_callback(&rng, NULL, NULL), LS_NULL_POINTER);
  CHECK_STATUS(ls_rng_next_u64(NULL, &word), LS_NULL_POINTER);
  CHECK_STATUS(ls_rng_next_u64(&rng, NULL), LS_NULL_POINTER);
  CHECK_STATUS(ls_rng_pcg32(&rng, 0xcafef00dd15ea5e5u, 0xa02bdbf7bb3c0a7u), LS_OK);
  CHECK(rng.next_u64 == NULL && (rng.increment & 1) == 1);
}


/* The ls_config of an expected case. */
static ls_config case_config(const expected_case *e) {
  ls_config cfg =
      config(from_bits(e->temperature), from_bits(e->min_p), e->top_k, from_bits(e->top_p));
  size_t i;
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
  return cfg;
}

/* A sampler for expected case `e` on `backend`, in the state before its draws: its
 * breakers set and its prompt accepted. */
static ls_sampler *make_case(const expected_case *e, ls_backend backend) {
  ls_config cfg = case_config(e);
  ls_sampler *s = make(&cfg);
  size_t i;
  CHECK_STATUS(ls_sampler_set_backend(s, backend), LS_OK);
  CHECK_STATUS(ls_sampler_set_dry_breakers(s, e->breaker_tokens, e->breaker_lens, e->breakers),
               LS_OK);
  for (i = 0; i < e->prompt_len; i++) CHECK_STATUS(ls_accept(s, e->prompt[i]), LS_OK);
  return s;
}

/* The Rust API's tokens and bits, on every backend this CPU runs, with the PCG32
 * generator and with the same words through a callback; ls_sample_with's tokens,
 * logprobs and top slices. */
static void test_expected(void) {
  const size_t n_cases = sizeof EXPECTED_CASES / sizeof EXPECTED_CASES[0];
  const size_t n_with = sizeof EXPECTED_WITH / sizeof EXPECTED_WITH[0];
  const size_t n_sets = sizeof EXPECTED_LOGITS / sizeof EXPECTED_LOGITS[0];
  uint32_t b;
  size_t c, d, i, n;
  unsigned backends = 0;
  for (b = 0; b < 8; b++) {
    if (!ls_backend_available((ls_backend)b)) continue;
    backends++;
    for (c = 0; c < n_cases; c++) {
      const expected_case *e = &EXPECTED_CASES[c];
      ls_sampler *s;
      ls_rng rng;
      counted through;
      ls_rng callback;
      uint32_t token;
      float mu = -1.0f;
      int same = 1, same_callback = 1;
      s = make_case(e, (ls_backend)b);
      CHECK_STATUS(ls_rng_seed(&rng, e->seed), LS_OK);
      for (d = 0; d < EXPECTED_DRAWS; d++) {
        n = load(e->logits);
        CHECK_STATUS(ls_sample(s, buffer, n, &rng, &token), LS_OK);
        same &= token == e->tokens[d];
      }
      CHECK_STATUS(ls_sampler_mirostat_mu(s, &mu), LS_OK);
      CHECK(to_bits(mu) == e->mirostat_mu);
      /* Again from the same state, the words through a callback. */
      s = make_case(e, (ls_backend)b);
      CHECK_STATUS(ls_rng_seed(&through.inner, e->seed), LS_OK);
      through.calls = 0;
      CHECK_STATUS(ls_rng_callback(&callback, next_counted, &through), LS_OK);
      for (d = 0; d < EXPECTED_DRAWS; d++) {
        n = load(e->logits);
        CHECK_STATUS(ls_sample(s, buffer, n, &callback, &token), LS_OK);
        same_callback &= token == e->tokens[d];
      }
      if (!same || !same_callback) printf("case %u on %s:\n", (unsigned)c, ls_backend_name(b));
      CHECK(same);
      CHECK(same_callback);
      /* One word per sample, two with XTC's coin. */
      CHECK(through.calls == EXPECTED_DRAWS * e->words);
      n = load(e->logits);
      CHECK_STATUS(ls_distribution_in_place(s, buffer, n), LS_OK);
      CHECK(fnv1a(buffer, n) == e->distribution_hash);
      /* The distribution does not move mirostat's mu. */
      CHECK_STATUS(ls_sampler_mirostat_mu(s, &mu), LS_OK);
      CHECK(to_bits(mu) == e->mirostat_mu);
    }
    for (c = 0; c < n_with; c++) {
      const expected_with *w = &EXPECTED_WITH[c];
      const expected_case *e = &EXPECTED_CASES[w->case_index];
      ls_logit_bias bias[8];
      ls_constraints constraints;
      ls_token_logprob top[EXPECTED_TOP];
      ls_sampled out;
      ls_sampler *s = make_case(e, (ls_backend)b);
      ls_rng rng;
      int same = 1, same_top = 1;
      CHECK(w->bias_len <= 8);
      for (i = 0; i < w->bias_len && i < 8; i++) {
        bias[i].token = w->bias_tokens[i];
        bias[i].bias = from_bits(w->bias_values[i]);
      }
      constraints.logit_bias = w->bias_len ? bias : NULL;
      constraints.logit_bias_len = w->bias_len;
      constraints.allowed = w->mask;
      constraints.allowed_words = w->mask_words;
      CHECK_STATUS(ls_rng_seed(&rng, w->seed), LS_OK);
      for (d = 0; d < EXPECTED_DRAWS; d++) {
        n = load(e->logits);
        CHECK_STATUS(ls_sample_with(s, buffer, n, &rng, &constraints, top, EXPECTED_TOP, &out),
                     LS_OK);
        same &= out.token == w->tokens[d] && to_bits(out.logprob) == w->logprobs[d] &&
                to_bits(out.sampling_logprob) == w->sampling_logprobs[d];
        for (i = 0; i < EXPECTED_TOP; i++) {
          same_top &= top[i].token == w->top_tokens[i] &&
                      to_bits(top[i].logprob) == w->top_logprobs[i];
        }
      }
      if (!same || !same_top) printf("with-case %u on %s:\n", (unsigned)c, ls_backend_name(b));
      CHECK(same);
      CHECK(same_top);
    }
    for (i = 0; i < n_sets; i++) {
      const expected_logits *e = &EXPECTED_LOGITS[i];
      uint32_t token = 0;
      n = load(i);
      CHECK_STATUS(ls_argmax_with((ls_backend)b, buffer, n, &token, NULL), LS_OK);
      CHECK(token == e->argmax);
      CHECK_STATUS(ls_softmax_in_place_with((ls_backend)b, buffer, n, 0.7f, NULL), LS_OK);
      CHECK(fnv1a(buffer, n) == e->softmax_cool_hash);
      n = load(i);
      CHECK_STATUS(ls_softmax_in_place_with((ls_backend)b, buffer, n, 1.0f, NULL), LS_OK);
      CHECK(fnv1a(buffer, n) == e->softmax_hash);
      for (d = 0; d < EXPECTED_UNIFORMS; d++) {
        CHECK_STATUS(ls_sample_inverse_cdf_with((ls_backend)b, buffer, n, expected_uniforms[d],
                                                &token, NULL),
                     LS_OK);
        CHECK(token == e->inverse_cdf[d]);
      }
    }
  }
  printf("expected tokens and bits checked on %u backend(s)\n", backends);
  CHECK(backends >= 1);
}

#ifndef LS_NO_ALLOC
/* ls_sampler_new / ls_sampler_free (the default desktop build has them). */
static void test_alloc(void) {
  ls_config cfg = config(0.8f, 0.0f, 5, 1.0f), bad = cfg;
  ls_sampler *s = NULL;
  ls_rng rng;
  ls_error e;
  uint32_t token = 99;
  size_t n = load(0);
  bad.top_p = 2.0f;
  CHECK_STATUS(ls_sampler_new(&bad, &s, &e), LS_INVALID_TOP_P);
  CHECK(s == NULL && e.value == 2.0f);
  CHECK_STATUS(ls_sampler_new(NULL, &s, &e), LS_NULL_POINTER);
  CHECK(e.argument == 1);
  CHECK_STATUS(ls_sampler_new(&cfg, NULL, &e), LS_NULL_POINTER);
  CHECK(e.argument == 2);
  CHECK_STATUS(ls_sampler_new(&cfg, &s, &e), LS_OK);
  CHECK(s != NULL && ((uintptr_t)s % ls_sampler_align()) == 0);
  CHECK_STATUS(ls_rng_seed(&rng, 1), LS_OK);
  CHECK_STATUS(ls_sample(s, buffer, n, &rng, &token), LS_OK);
  CHECK(token < n);
  ls_sampler_free(s);
  ls_sampler_free(NULL);
}
#endif

int main(void) {
  static const ls_status reachable[] = {
      LS_OK, LS_EMPTY, LS_TOO_LONG, LS_NAN_LOGIT, LS_NO_CANDIDATES, LS_INVALID_TEMPERATURE,
      LS_INVALID_MIN_P, LS_INVALID_TOP_P, LS_INVALID_STAGE_ORDER, LS_INVALID_WEIGHT,
      LS_ZERO_TOTAL_WEIGHT, LS_INVALID_UNIFORM, LS_CAPACITY_EXCEEDED, LS_BACKEND_UNAVAILABLE,
      LS_STAGE_NOT_IN_ORDER, LS_INVALID_REPEAT_PENALTY, LS_INVALID_FREQUENCY_PENALTY,
      LS_INVALID_PRESENCE_PENALTY, LS_INVALID_DRY_MULTIPLIER, LS_INVALID_DRY_BASE,
      LS_WINDOW_EXCEEDS_HISTORY, LS_INVALID_DRY_BREAKER, LS_TOKEN_OUT_OF_RANGE,
      LS_INVALID_LOGIT_BIAS, LS_MASK_TOO_SHORT, LS_NO_TOKEN_ALLOWED, LS_INVALID_TYPICAL_P,
      LS_INVALID_TOP_N_SIGMA, LS_INVALID_XTC_PROBABILITY, LS_INVALID_XTC_THRESHOLD,
      LS_INVALID_DYNATEMP_RANGE, LS_INVALID_DYNATEMP_EXPONENT, LS_INVALID_MIROSTAT,
      LS_NULL_POINTER, LS_BAD_ALIGNMENT, LS_BUFFER_TOO_SMALL};
  size_t i;
  printf("logit_sampler %s, best backend %s, sampler %u bytes (align %u)\n", ls_version(),
         ls_backend_name(ls_backend_detect()), (unsigned)ls_sampler_size(),
         (unsigned)ls_sampler_align());
  test_strings_and_version();
  test_backends();
  test_config();
  test_storage();
  test_init_errors();
  test_sample_errors();
  test_history();
  test_penalties_and_dry();
  test_breakers();
  test_sample_with();
  test_sample_with_errors();
  test_shape_stages();
  test_set_backend();
  test_free_function_errors();
  test_rng();
  test_expected();
#ifndef LS_NO_ALLOC
  test_alloc();
#endif
  /* Every status a call can return was returned by some call above. Not here:
   * LS_OUT_OF_MEMORY (the allocator failing) and LS_UNKNOWN_ERROR (a newer core). */
  for (i = 0; i < sizeof reachable / sizeof reachable[0]; i++) {
    if (!seen[reachable[i]]) printf("never returned: %s\n", ls_status_str(reachable[i]));
    CHECK(seen[reachable[i]]);
  }
  printf("%u passed, %u failed\n", passed, failed);
  return failed != 0;
}
