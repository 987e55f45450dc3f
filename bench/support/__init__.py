"""Helpers of the benchmarks (not benchmarks themselves)."""
