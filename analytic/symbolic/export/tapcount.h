/* tapcount's C99 helpers for exported counts: checked int64 sum and product, integer division,
   gcd, positive part, floor sum and lattice count.  An overflow anywhere sets tapcount_overflow. */
#include <stdint.h>

static int tapcount_overflow;

static inline int64_t tapcount_add(int64_t a, int64_t b) {
    if ((b > 0 && a > INT64_MAX - b) || (b < 0 && a < INT64_MIN - b)) { tapcount_overflow = 1; return 0; }
    return a + b;
}

static inline int64_t tapcount_mul(int64_t a, int64_t b) {
    if (a > 0 ? (b > 0 ? a > INT64_MAX / b : b < INT64_MIN / a)
              : (b > 0 ? a < INT64_MIN / b : (a != 0 && b < INT64_MAX / a))) { tapcount_overflow = 1; return 0; }
    return a * b;
}

static inline int64_t tapcount_pos(int64_t x) { return x > 0 ? x : 0; }

/* floor(a / b), ceil(a / b) and a mod b (the sign of b), for b != 0 */
static inline int64_t tapcount_floordiv(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static inline int64_t tapcount_ceildiv(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) == (b < 0))) ? q + 1 : q;
}

static inline int64_t tapcount_mod(int64_t a, int64_t b) {
    int64_t r = a % b;
    return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}

static inline int64_t tapcount_gcd(int64_t a, int64_t b) {
    while (b) { int64_t t = a % b; a = b; b = t; }
    return a;
}

/* sum(floor((a*i + b) / m) for i in [0, n)); n >= 0, m >= 1, a >= 0, b >= 0 */
static inline int64_t tapcount_floor_sum(int64_t n, int64_t m, int64_t a, int64_t b) {
    int64_t total = 0;
    for (;;) {
        if (a >= m) {
            int64_t pairs = n % 2 ? tapcount_mul(n, (n - 1) / 2) : tapcount_mul(n / 2, n - 1);
            total = tapcount_add(total, tapcount_mul(pairs, a / m)); a %= m;
        }
        if (b >= m) { total = tapcount_add(total, tapcount_mul(n, b / m)); b %= m; }
        int64_t y = tapcount_add(tapcount_mul(a, n), b);
        if (tapcount_overflow || y < m) break;
        n = y / m; b = y % m;
        int64_t t = m; m = a; a = t;
    }
    return total;
}

/* #{(i, m) in [0,n) x [0,k) : i*s + m*d < x} */
static inline int64_t tapcount_lattice_count(int64_t x, int64_t n, int64_t k, int64_t s, int64_t d) {
    if (x <= 0 || n <= 0 || k <= 0) return 0;
    int64_t columns = tapcount_add(x, d - 1) / d;
    if (columns > k) columns = k;
    int64_t below_full = tapcount_add(x, -tapcount_mul(n - 1, s));
    int64_t full = below_full > 0 ? tapcount_add(below_full, d - 1) / d : 0;
    if (full > columns) full = columns;
    int64_t partial = columns - full;
    if (partial == 0) return tapcount_mul(n, full);
    int64_t start = tapcount_add(tapcount_add(x, s - 1), -tapcount_mul(columns - 1, d));
    return tapcount_add(tapcount_mul(n, full), tapcount_floor_sum(partial, s, d, start));
}
