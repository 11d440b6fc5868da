"""idearoom: the platform-neutral core of the idea-room bot."""
