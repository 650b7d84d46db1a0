"""Benchmarks: scripts that print figures (requests per refresh, build times, memory, degree-day throughput).

Look here to reproduce the figures of ``benchmarks/RESULTS.md``: ``make bench`` (``benchmarks/run_all.py``) runs
every script and rewrites that file. They are not tests; ``tests/test_benchmarks_smoke.py`` only checks that
they import and that the request counting works. Modules: ``harness`` (timing, memory, request counting, the
replay server built from the snapshot's recordings), ``refresh`` (the two refresh drivers and the request minimum),
``bench_requests``, ``bench_build``, ``bench_degree_days``, ``run_all``.
"""
