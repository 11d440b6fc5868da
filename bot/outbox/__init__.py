"""The transactional outbox: what the core decides to send, stored with the change that caused it.

Parts: `entries` (writing and reading entries), `payloads` (their stored JSON by kind),
`pacing` (budgets from each gateway's declared limits), `claims` (leases and claiming rounds), `leases` (renewal),
`coalescing` (merged confirmations), `delivery` (dispatch by kind), `results`, `follow_ups`,
`failures` (what organizers are told), `sender` (the loop that drains it).
"""

from bot.outbox.entries import add_raw, enqueue, remembered_message_ids
from bot.outbox.failures import describe_destination

__all__ = ["add_raw", "describe_destination", "enqueue", "remembered_message_ids"]
