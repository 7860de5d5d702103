"""Benchmarks (``make bench``): ratios and rates measured side by side in one run."""
