"""Compliance: the dial policy and the transcript detector (pure, no I/O)."""
