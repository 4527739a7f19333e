/*
 * The C API from C: every status code the API can return (each triggered, with
 * its detail), the caller's buffers untouched on error, and the same tokens and
 * bits as the Rust API for the same logits, config and seed, on every backend
 * this CPU runs. The expected numbers come from expected.h, which the Rust API
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

static ls_sampler_storage storage;

static ls_sampler *make(const ls_config *cfg) {
  ls_sampler *s = NULL;
  CHECK_STATUS(ls_sampler_init(&storage, sizeof storage, cfg, &s), LS_OK);
  return s;
}

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
  ls_config cfg;
  CHECK_STATUS(ls_config_default(&cfg), LS_OK);
  CHECK(cfg.temperature == 1.0f && cfg.min_p == 0.0f && cfg.top_k == 0 && cfg.top_p == 1.0f);
  CHECK(cfg.order[0] == LS_STAGE_TEMPERATURE && cfg.order[1] == LS_STAGE_MIN_P &&
        cfg.order[2] == LS_STAGE_TOP_K && cfg.order[3] == LS_STAGE_TOP_P);
  CHECK_STATUS(ls_config_greedy(&cfg), LS_OK);
  CHECK(cfg.temperature == 0.0f);
  CHECK_STATUS(ls_config_default(NULL), LS_NULL_POINTER);
  CHECK_STATUS(ls_config_greedy(NULL), LS_NULL_POINTER);
  CHECK_STATUS(ls_config_default((ls_config *)misaligned(&cfg)), LS_BAD_ALIGNMENT);
}

static void test_storage(void) {
  CHECK(EXPECTED_CAPACITY == LS_SAMPLER_CAPACITY);
  CHECK(ls_sampler_size() <= sizeof(ls_sampler_storage));
  CHECK(ls_sampler_size() >= 8 * LS_SAMPLER_CAPACITY);
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
  bad = good;
  bad.order[3] = LS_STAGE_MIN_P; /* min-p twice, top-p never */
  CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &bad, &out, &err), LS_INVALID_STAGE_ORDER);
  bad = good;
  bad.order[0] = (ls_stage)7; /* not a stage */
  CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &bad, &out, &err), LS_INVALID_STAGE_ORDER);
  {
    ls_config zeroed;
    memset(&zeroed, 0, sizeof zeroed);
    /* A zeroed config is invalid: top-p 0, and an order naming one stage four times. */
    CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &zeroed, &out, NULL), LS_INVALID_TOP_P);
    zeroed.top_p = 1.0f;
    CHECK_STATUS(ls_sampler_init_ex(&mem, sizeof mem, &zeroed, &out, NULL), LS_INVALID_STAGE_ORDER);
  }

  CHECK(out == sentinel);
  CHECK(memcmp(&mem, pattern, sizeof mem) == 0);

  CHECK_STATUS(ls_sampler_init_ex(&mem, ls_sampler_size(), &good, &out, &err), LS_OK);
  CHECK(err.status == LS_OK && out == (ls_sampler *)(void *)&mem);
  {
    ls_config back;
    ls_backend backend;
    CHECK_STATUS(ls_sampler_config(out, &back), LS_OK);
    CHECK(back.temperature == good.temperature && back.min_p == good.min_p &&
          back.top_k == good.top_k && back.top_p == good.top_p);
    CHECK(memcmp(back.order, good.order, sizeof back.order) == 0);
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

  /* A success clears the last error. */
  CHECK_STATUS(ls_sample(s, buffer, n, &rng, &token), LS_OK);
  CHECK(last_error(s).status == LS_OK && token < n);
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

/* The callback generator of the expected-token checks: a seeded ls_rng behind a
 * callback, counting its calls. */
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

/* The Rust API's tokens and bits, on every backend this CPU runs, with the PCG32
 * generator and with the same words through a callback. */
static void test_expected(void) {
  const size_t n_cases = sizeof EXPECTED_CASES / sizeof EXPECTED_CASES[0];
  const size_t n_sets = sizeof EXPECTED_LOGITS / sizeof EXPECTED_LOGITS[0];
  uint32_t b;
  size_t c, d, i, n;
  unsigned backends = 0;
  for (b = 0; b < 8; b++) {
    if (!ls_backend_available((ls_backend)b)) continue;
    backends++;
    for (c = 0; c < n_cases; c++) {
      const expected_case *e = &EXPECTED_CASES[c];
      ls_config cfg = config(from_bits(e->temperature), from_bits(e->min_p), e->top_k,
                             from_bits(e->top_p));
      ls_sampler *s;
      ls_rng rng;
      counted through;
      ls_rng callback;
      uint32_t token;
      int same = 1, same_callback = 1;
      for (i = 0; i < 4; i++) cfg.order[i] = (ls_stage)e->order[i];
      s = make(&cfg);
      CHECK_STATUS(ls_sampler_set_backend(s, (ls_backend)b), LS_OK);
      CHECK_STATUS(ls_rng_seed(&rng, e->seed), LS_OK);
      CHECK_STATUS(ls_rng_seed(&through.inner, e->seed), LS_OK);
      through.calls = 0;
      CHECK_STATUS(ls_rng_callback(&callback, next_counted, &through), LS_OK);
      for (d = 0; d < EXPECTED_DRAWS; d++) {
        n = load(e->logits);
        CHECK_STATUS(ls_sample(s, buffer, n, &rng, &token), LS_OK);
        same &= token == e->tokens[d];
        n = load(e->logits);
        CHECK_STATUS(ls_sample(s, buffer, n, &callback, &token), LS_OK);
        same_callback &= token == e->tokens[d];
      }
      if (!same || !same_callback) printf("case %u on %s:\n", (unsigned)c, ls_backend_name(b));
      CHECK(same);
      CHECK(same_callback);
      CHECK(through.calls == EXPECTED_DRAWS); /* one word per sample */
      n = load(e->logits);
      CHECK_STATUS(ls_distribution_in_place(s, buffer, n), LS_OK);
      CHECK(fnv1a(buffer, n) == e->distribution_hash);
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
      LS_ZERO_TOTAL_WEIGHT, LS_INVALID_UNIFORM, LS_BACKEND_UNAVAILABLE, LS_NULL_POINTER,
      LS_BAD_ALIGNMENT, LS_BUFFER_TOO_SMALL};
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
  test_set_backend();
  test_free_function_errors();
  test_rng();
  test_expected();
#ifndef LS_NO_ALLOC
  test_alloc();
#endif
  /* Every status a call can return was returned by some call above. Not here:
   * LS_CAPACITY_EXCEEDED (only the core's alias table, not in the C API yet),
   * LS_OUT_OF_MEMORY (the allocator failing) and LS_UNKNOWN_ERROR (a newer core). */
  for (i = 0; i < sizeof reachable / sizeof reachable[0]; i++) {
    if (!seen[reachable[i]]) printf("never returned: %s\n", ls_status_str(reachable[i]));
    CHECK(seen[reachable[i]]);
  }
  printf("%u passed, %u failed\n", passed, failed);
  return failed != 0;
}
