"""callwarden: compliance."""
