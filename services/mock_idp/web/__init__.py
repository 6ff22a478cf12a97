"""HTTP of the mock provider: its pages and how its errors are answered (:mod:`.errors`)."""
