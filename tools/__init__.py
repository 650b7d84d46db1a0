"""Tooling that users do not run: simulators and recorders used by the tests and benchmarks (not installed)."""
