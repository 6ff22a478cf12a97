"""HTTP of the identity service: its pages, how its answers are shaped, and the one table turning
its errors into answers (:mod:`.errors`)."""
