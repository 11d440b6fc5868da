"""The composition root: the `idearoom` command, the worker runtime and the wiring of core, adapters and scheduler."""
