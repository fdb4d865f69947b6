"""Models as they run: architectures and their counts, the serving roofline, pipeline schedules,
training stages, attention and the toy network. Imports formulas, catalog and core."""
