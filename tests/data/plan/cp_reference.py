"""Independent Clopper-Pearson reference values for spotcheck's tests.

Run: python3 tests/data/plan/cp_reference.py > tests/data/plan/cp-reference.txt
Uses mpmath at 50 significant digits: the one-sided upper bound is the p with
I_{1-p}(n-x, x+1) = 1 - conf (P(X <= x | p) = 1 - conf), the lower bound the p
with I_p(x, n-x+1) = 1 - conf (P(X >= x | p) = 1 - conf), found by bisection.
Where x or n - x is small the binomial sum is used instead of betainc,
which converges too slowly there for huge n.
"""
from mpmath import mp, mpf, betainc, binomial

mp.dps = 50


def root(f, lo=mpf(0), hi=mpf(1)):
    # f rises from negative to positive on (lo, hi)
    for _ in range(400):
        mid = (lo + hi) / 2
        if f(mid) < 0:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def cdf(n, x, p):
    """P(X <= x) for X ~ Binomial(n, p)."""
    if x <= 50:
        return sum(binomial(n, i) * p**i * (1 - p) ** (n - i) for i in range(x + 1))
    if n - x <= 50:
        return 1 - sum(binomial(n, i) * p**i * (1 - p) ** (n - i) for i in range(x + 1, n + 1))
    return betainc(n - x, x + 1, 0, 1 - p, regularized=True)


def upper(n, x, conf):
    if x >= n:
        return mpf(1)
    a = 1 - mpf(conf)
    return root(lambda p: a - cdf(n, x, p))


def lower(n, x, conf):
    if x == 0:
        return mpf(0)
    a = 1 - mpf(conf)
    return root(lambda p: (1 - cdf(n, x - 1, p)) - a)


cases = [(1, 0), (1, 1), (5, 0), (5, 2), (5, 5), (20, 1), (29, 0), (59, 0), (100, 10),
         (149, 0), (1000, 1), (10000, 3), (1000000, 10), (10000000, 0), (50, 49), (200, 199)]
print("# n x confidence lower upper   (one-sided bounds; mpmath, 50 digits)")
for conf in ["0.95", "0.975", "0.99"]:
    for n, x in cases:
        print(n, x, conf, mp.nstr(lower(n, x, conf), 15), mp.nstr(upper(n, x, conf), 15))
