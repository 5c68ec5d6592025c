"""The numpy core: optimizers, schedules, the simulation engine, the registry, runs, presets, limits.

Imports numpy and `surfaces` only (tests/install/test_layers.py checks it).
"""
