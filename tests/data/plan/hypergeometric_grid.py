"""Exact hypergeometric attribute plans over a grid, for spotcheck's tests.

Run: python3 tests/data/plan/hypergeometric_grid.py > tests/data/plan/hypergeometric-grid.txt
The smallest n <= N with sum_{i<=x} C(K,i) C(N-K,n-i) / C(N,n) <= 1 - conf, where
K = ceil(tol*N) and x = ceil(expected*n); N if none. Exact rational arithmetic.
"""
from fractions import Fraction as F
from math import ceil, comb

print("# population tolerable confidence expected n   (exact; see hypergeometric_grid.py)")
for tol in ["0.05", "0.10", "0.30"]:
    for conf in ["0.90", "0.95"]:
        for exp in ["0", "0.01"]:
            t, c, e = F(tol), F(conf), F(exp)
            for N in range(1, 401, 7):
                K = ceil(t * N)
                n_found = N
                for n in range(1, N + 1):
                    x = ceil(e * n)
                    if x >= n:
                        continue
                    p = F(sum(comb(K, i) * comb(N - K, n - i) for i in range(min(x, K) + 1)), comb(N, n))
                    if p <= 1 - c:
                        n_found = n
                        break
                print(N, tol, conf, exp, n_found)
