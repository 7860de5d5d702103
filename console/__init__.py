"""callwarden: console."""
