"""Benchmarks: a deterministic synthetic park at any size, and a harness that times the engine next to
hand-written SQL baselines doing the same work in the same run (`python -m benchmarks --help`)."""
