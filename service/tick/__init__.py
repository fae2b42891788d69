"""Time-driven work: the deadline tick, run by an in-app scheduler thread or `jiebang tick`."""
