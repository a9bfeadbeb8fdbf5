"""soakwatch: soak-test observability for NATS-based event pipelines."""

__version__ = "0.1.0"

__all__ = ["__version__"]
