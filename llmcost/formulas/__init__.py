"""Formulas: FLOPs, memory, parallelism, GPU-hours and cluster size, cost, energy, demand, sizing,
ranges and the whole training estimate, on scalars and numpy arrays. Imports catalog and core."""
