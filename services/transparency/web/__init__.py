"""HTTP: the log's answers (C2SP formats, with the caching each needs) and the one table turning
the log's refusals into HTTP answers. Entrypoints are in ``service.py``."""
