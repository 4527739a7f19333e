/*
 * Bare-metal start-up for the Cortex-M4F firmware test: the vector table, the reset
 * handler (enable the FPU, copy .data, zero .bss, run main, exit through semihosting),
 * semihosting output, and the few C library functions the compilers' code calls.
 * No C library is linked.
 */
#include <stddef.h>
#include <stdint.h>

extern uint32_t _data_start[], _data_end[], _data_load[], _bss_start[], _bss_end[], _stack_top[];
int main(void);

/* ARM semihosting (QEMU: -semihosting-config enable=on). */
static int semihost(int op, const void *arg) {
  register int r0 __asm__("r0") = op;
  register const void *r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

void print(const char *s) { semihost(0x04 /* SYS_WRITE0 */, s); }

void print_uint(uint32_t v) {
  char digits[11];
  int i = 10;
  digits[i] = '\0';
  do {
    digits[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  print(&digits[i]);
}

/* Ends QEMU: status 0 for ADP_Stopped_ApplicationExit, 1 for anything else. */
__attribute__((noreturn)) void exit_qemu(int failed) {
  semihost(0x18 /* SYS_EXIT */, (const void *)(uintptr_t)(failed ? 0x20023 : 0x20026));
  for (;;) {
  }
}

__attribute__((noreturn)) void reset_handler(void) {
  /* CP10 and CP11 full access: the FPU, before any floating-point instruction. */
  *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
  __asm__ volatile("dsb\n\tisb" ::: "memory");
  uint32_t *src = _data_load, *dst = _data_start;
  while (dst < _data_end) *dst++ = *src++;
  for (dst = _bss_start; dst < _bss_end; dst++) *dst = 0;
  exit_qemu(main());
}

__attribute__((noreturn)) static void fault_handler(void) {
  print("fault\n");
  exit_qemu(1);
}

/* The initial stack pointer, then reset, NMI, HardFault, MemManage, BusFault, UsageFault. */
__attribute__((section(".vectors"), used)) static const uintptr_t vectors[16] = {
    (uintptr_t)_stack_top,     (uintptr_t)reset_handler,  (uintptr_t)fault_handler,
    (uintptr_t)fault_handler,  (uintptr_t)fault_handler,  (uintptr_t)fault_handler,
    (uintptr_t)fault_handler,
};

/* The C library functions compilers emit calls to (C's freestanding contract),
 * and the ARM EABI's aligned variants Rust's code calls. */
void *memcpy(void *dst, const void *src, size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  while (n--) *d++ = *s++;
  return dst;
}
void *memmove(void *dst, const void *src, size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  if (d < s) {
    while (n--) *d++ = *s++;
  } else {
    while (n--) d[n] = s[n];
  }
  return dst;
}
void *memset(void *dst, int c, size_t n) {
  unsigned char *d = dst;
  while (n--) *d++ = (unsigned char)c;
  return dst;
}
int memcmp(const void *a, const void *b, size_t n) {
  const unsigned char *x = a, *y = b;
  for (; n--; x++, y++) {
    if (*x != *y) return *x < *y ? -1 : 1;
  }
  return 0;
}
void __aeabi_memcpy(void *d, const void *s, size_t n) { memcpy(d, s, n); }
void __aeabi_memcpy4(void *d, const void *s, size_t n) { memcpy(d, s, n); }
void __aeabi_memcpy8(void *d, const void *s, size_t n) { memcpy(d, s, n); }
void __aeabi_memmove(void *d, const void *s, size_t n) { memmove(d, s, n); }
void __aeabi_memmove4(void *d, const void *s, size_t n) { memmove(d, s, n); }
void __aeabi_memmove8(void *d, const void *s, size_t n) { memmove(d, s, n); }
void __aeabi_memset(void *d, size_t n, int c) { memset(d, c, n); }
void __aeabi_memset4(void *d, size_t n, int c) { memset(d, c, n); }
void __aeabi_memset8(void *d, size_t n, int c) { memset(d, c, n); }
void __aeabi_memclr(void *d, size_t n) { memset(d, 0, n); }
void __aeabi_memclr4(void *d, size_t n) { memset(d, 0, n); }
void __aeabi_memclr8(void *d, size_t n) { memset(d, 0, n); }
