"""The soak exporter: process health and resources, harvester SLOs, signals, sinks and exports as metrics."""
