// The header from C++ (`extern "C"`, enums with a uint32_t underlying type):
// compiled by capi/check.sh with `c++ -std=c++11 -pedantic -Wall -Wextra -Werror`,
// linked against the static library and run. A greedy draw, a seeded draw, a
// draw under a logit bias with logprobs, and an error, through the C API from C++.
#include "logit_sampler.h"

#include <cmath>
#include <cstdio>
#include <cstring>

static_assert(sizeof(ls_status) == 4, "ls_status is a uint32_t on every platform");
static_assert(sizeof(ls_backend) == 4, "ls_backend is a uint32_t on every platform");
static_assert(sizeof(ls_stage) == 4, "ls_stage is a uint32_t on every platform");
static_assert(alignof(ls_sampler_storage) >= 8, "storage is uint64_t-aligned");

int main() {
  ls_config cfg;
  if (ls_config_greedy(&cfg) != LS_OK) return 1;
  static ls_sampler_storage memory;
  ls_sampler *sampler = nullptr;
  ls_error err;
  if (ls_sampler_init_ex(&memory, sizeof memory, &cfg, &sampler, &err) != LS_OK) return 2;

  float logits[] = {0.5f, 2.0f, -1.0f, 2.0f};
  ls_rng rng;
  ls_rng_seed(&rng, 42);
  uint32_t token = 0;
  if (ls_sample(sampler, logits, 4, &rng, &token) != LS_OK || token != 1) return 3;

  cfg.temperature = 0.7f;
  cfg.top_k = 2;
  cfg.order[0] = LS_STAGE_TOP_K;
  cfg.order[1] = LS_STAGE_TEMPERATURE;
  cfg.order_len = 2;
  if (ls_sampler_init_ex(&memory, sizeof memory, &cfg, &sampler, &err) != LS_OK) return 4;
  float again[] = {0.5f, 2.0f, -1.0f, 2.0f};
  if (ls_sample(sampler, again, 4, &rng, &token) != LS_OK || (token != 1 && token != 3)) return 5;

  // Ban every token but 3.
  ls_logit_bias bans[] = {{0, -INFINITY}, {1, -INFINITY}, {2, -INFINITY}};
  ls_constraints constraints = {bans, 3, nullptr, 0};
  ls_token_logprob top[2];
  ls_sampled out;
  float third[] = {0.5f, 2.0f, -1.0f, 2.0f};
  if (ls_accept(sampler, 3) != LS_OK) return 9;
  if (ls_sample_with(sampler, third, 4, &rng, &constraints, top, 2, &out) != LS_OK ||
      out.token != 3 || top[0].token != 1 || top[1].token != 3 || out.logprob != top[1].logprob)
    return 10;

  ls_status st = ls_sample(sampler, nullptr, 4, &rng, &token);
  if (st != LS_NULL_POINTER) return 6;
  if (ls_sampler_last_error(sampler, &err) != LS_OK || err.argument != 2) return 7;
  std::printf("C++: token %u, error \"%s\", backend %s\n", static_cast<unsigned>(token),
              ls_status_str(st), ls_backend_name(ls_backend_detect()));
  return std::strlen(ls_version()) > 0 ? 0 : 8;
}
