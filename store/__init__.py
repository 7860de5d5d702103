"""callwarden: store."""
