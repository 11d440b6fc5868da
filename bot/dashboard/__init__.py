"""What the web dashboard reads and does, in the core: log-in, who is looking, page queries, actions."""
