"""The outbox: what must reach the outside world, written in the transaction that caused it."""
