"""The advisory committee (자문단): its rules, read-only lookups, the workflow of members and votes, and its minutes."""
