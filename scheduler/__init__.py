"""The scheduler: fires stored reminders once, rebuilds its schedule from the database on start."""
