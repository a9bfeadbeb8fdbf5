"""What both exporters use: exporter info, label budget, payload decoding, error counting, env expansion, outputs."""
