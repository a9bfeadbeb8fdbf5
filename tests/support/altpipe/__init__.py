"""A second simulated pipeline for tests: other process names, subjects and field names than the demo."""
