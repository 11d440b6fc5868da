"""The web dashboard: organizer, head and staff pages and the public page, on the worker's HTTP server."""
