"""Local fake Telegram Bot API and Slack Web API servers for adapter tests and benchmarks."""
