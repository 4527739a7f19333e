# Where the bytes of an image's .text come from, by source.
# stdin: `addr2line -a -f -i -C` over every halfword of .text (check.sh).
# stdout: one "2 <where>" line per halfword: the innermost inlined frame
# outside `core` (a core frame is a primitive its caller uses: an index, a
# pointer read, an integer shift), mapped to a crate, a core module, or a
# compiler-builtins family. Code all of whose frames are core's is a generic
# core function the calls instantiated out of line (an iterator adapter).
function crate_of(fn,   s) {
  s = fn
  sub(/^</, "", s)
  sub(/^&(mut )?/, "", s)
  if (s ~ /^[(\[*]/ || s ~ /^[A-Z][A-Za-z]?( |>|::|$)/) return "core"
  if (s ~ /^(u8|u16|u32|u64|u128|usize|i8|i16|i32|i64|isize|f32|f64|bool|char)( |>|::|$)/) return "core"
  if (s !~ /::/) return "bare"
  sub(/::.*/, "", s)
  sub(/ .*/, "", s)
  return s
}
function where(fn,   c, parts, n) {
  c = crate_of(fn)
  if (c == "bare") {
    if (fn ~ /^__aeabi_mem|^mem(cpy|set|move|cmp)$|^bcmp$/) return "compiler-builtins: memcpy, memset"
    if (fn ~ /^__aeabi_(d|f2d|i2d|ui2d|l2d|ul2d)|df[0-9]|^__aeabi_d2/) return "compiler-builtins: soft f64"
    if (fn ~ /^__aeabi_|di[0-9]$|^__u?div|^__u?mod/) return "compiler-builtins: 64-bit integer"
    return "startup and the image's own code"
  }
  if (c == "compiler_builtins") {
    if (fn ~ /::mem::|__aeabi_mem/) return "compiler-builtins: memcpy, memset"
    # u64 <-> f32 conversions: 64-bit integer support, no double in them.
    if (fn ~ /u64_to_f32|i64_to_f32|<f32, [ui]64|int_to_float::(m_adj|repr)::<f32>|__aeabi_(ul2f|l2f|f2ulz|f2lz)|__float(un)?disf|__fix(uns)?sfdi/) return "compiler-builtins: 64-bit integer"
    if (fn ~ /::float::|f64|df[0-9]/) return "compiler-builtins: soft f64"
    return "compiler-builtins: 64-bit integer"
  }
  if (c == "libm") {
    n = split(fn, parts, "::")
    return "libm: " (parts[3] == "generic" ? parts[4] : parts[3])
  }
  if (c == "logit_sampler") {
    n = split(fn, parts, "::")
    if (parts[2] == "filter" || parts[2] == "draw" || parts[2] == "context") return "logit_sampler::" parts[2] "::" parts[3]
    return "logit_sampler::" parts[2]
  }
  if (c == "rand_pcg" || c == "rand_core") return "rand_pcg (Pcg32)"
  if (c == "core") return "core: generic code instantiated out of line (iterator adapters)"
  if (c == "size_budget") {
    return "the image's calls (size_budget)"
  }
  return "startup and the image's own code"
}
function flush(   w) {
  if (addr == "") return
  w = (pick != "") ? pick : first
  if (w == "" || w ~ /^\?\?/) print 2, "no line info (literal pools, padding)"
  else print 2, where(w)
}
/^0x[0-9a-fA-F]+$/ { flush(); addr = $0; first = ""; pick = ""; line = 0; next }
{
  line++
  if (line % 2 == 0) next
  if (first == "") first = $0
  if (pick == "" && crate_of($0) != "core") pick = $0
}
END { flush() }
