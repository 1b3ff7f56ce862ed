"""Real servers the tests start on free loopback ports (see common.py)."""
