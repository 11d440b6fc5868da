"""Chat platform adapters: each turns platform input into core events and core output into API calls."""
