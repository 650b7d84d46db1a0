"""Tooling that users of the planner do not run: snapshot recording, the replay server, simulators, reports.

Look here when writing tests or benchmarks, or to rebuild the bundled snapshot (``make snapshot``). Nothing in
``butterfly_lib`` imports from here; tests and benchmarks do.
"""
