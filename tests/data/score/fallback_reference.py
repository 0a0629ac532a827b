"""Reference values for the exact bounds spotcheck uses where the design gives
no usable variance (SCORING.md §6.3), computed independently: direct sums of
the binomial and Poisson distributions in 60-digit decimal arithmetic, solved
by bisection. Standard library only.

    python3 tests/data/score/fallback_reference.py > tests/data/score/fallback-reference.txt

Each line: a case name, then the value.
"""
from decimal import Decimal, getcontext
from math import comb

getcontext().prec = 60


def binom_cdf(n, k, p):
    p = Decimal(p)
    return sum(Decimal(comb(n, i)) * p**i * (1 - p) ** (n - i) for i in range(k + 1))


def bisect(f, lo, hi, steps=200):
    """The point where f turns from True to False on [lo, hi]."""
    lo, hi = Decimal(lo), Decimal(hi)
    for _ in range(steps):
        mid = (lo + hi) / 2
        if f(mid):
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def cp_upper(n, k, level):
    """One-sided Clopper-Pearson upper bound for k of n."""
    if k >= n:
        return Decimal(1)
    alpha = 1 - Decimal(level)
    return bisect(lambda p: binom_cdf(n, k, p) > alpha, 0, 1)


def stringer(n, taints, tau, level):
    """Basic precision p(0)·tau plus (p(j) − p(j−1))·t_j, taints largest first."""
    taints = sorted((Decimal(t) for t in taints), reverse=True)
    prev = cp_upper(n, 0, level)
    total = prev * Decimal(tau)
    for j, t in enumerate(taints, start=1):
        p = cp_upper(n, j, level)
        total += (p - prev) * t
        prev = p
    return total


def poisson_cdf(s, mu):
    term, total = Decimal(1), Decimal(1)
    for i in range(1, s + 1):
        term = term * mu / i
        total += term
    return total * (-mu).exp()


def poisson_upper(s, level):
    alpha = 1 - Decimal(level)
    return bisect(lambda mu: poisson_cdf(s, mu) > alpha, 0, 10 * s + 50)


def poisson_lower(s, level):
    if s == 0:
        return Decimal(0)
    alpha = 1 - Decimal(level)
    # P(X >= s | mu) = 1 - P(X <= s - 1 | mu) rises with mu.
    return bisect(lambda mu: 1 - poisson_cdf(s - 1, mu) < alpha, 0, 10 * s + 50)


def sign_test(k, m):
    n = k + m
    if k == 0:
        return Decimal(1)
    return sum(Decimal(comb(n, i)) for i in range(k, n + 1)) / Decimal(2) ** n


def line(name, v):
    print(name, format(v, ".15e"))


# Zero discrepancies in 12 villages: 1 - 0.05^(1/12).
line("cp_upper_12_0_0.95", cp_upper(12, 0, "0.95"))
line("cp_upper_12_0_0.975", cp_upper(12, 0, "0.975"))
line("cp_upper_30_2_0.95", cp_upper(30, 2, "0.95"))
# Stringer bounds: 12 villages, taints (relative to the mean report) as given.
line("stringer_12_none_tau1_0.95", stringer(12, [], 1, "0.95"))
line("stringer_12_0.4_0.1_tau1_0.95", stringer(12, ["0.4", "0.1"], 1, "0.95"))
line("stringer_20_1.5_0.2_tau1.5_0.975", stringer(20, ["1.5", "0.2"], "1.5", "0.975"))
line("poisson_upper_0_0.95", poisson_upper(0, "0.95"))
line("poisson_upper_7_0.975", poisson_upper(7, "0.975"))
line("poisson_lower_7_0.975", poisson_lower(7, "0.975"))
line("sign_test_9_1", sign_test(9, 1))
line("sign_test_3_3", sign_test(3, 3))
