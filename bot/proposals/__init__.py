"""Proposals: the state machine, read-only lookups and the workflow of changing state."""
