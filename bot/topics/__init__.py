"""The monthly topic: its rules, read-only lookups, the workflow of suggesting, picking and closing, and its summary."""
