"""The tick probe (nats-throughput-probe): tick rate, latency and parse gaps of a NATS stream."""
