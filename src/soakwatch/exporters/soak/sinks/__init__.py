"""The dual signal sink (JSONL + SQLite): readers, parity and ``soakwatch parity``."""
