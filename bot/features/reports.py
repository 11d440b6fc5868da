"""/report: the month's figures posted to the room, with a chart image."""
