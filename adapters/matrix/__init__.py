"""The Matrix adapter: idea rooms on a Matrix homeserver (Synapse and others), through mautrix."""
