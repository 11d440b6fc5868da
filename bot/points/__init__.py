"""Smile points (미소포인트): rules as data, an append-only ledger, and the listeners that award."""
