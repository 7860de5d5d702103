"""callwarden: transcriber."""
