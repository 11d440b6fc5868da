"""Invitations of department heads: their rules, read-only lookups and the workflow of inviting and answering."""
