"""Lianfang benchmarks (issue 9): `python -m bench [--quick] [--only P1,P2] [--scale-out]`."""
