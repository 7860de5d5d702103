"""callwarden: recorder."""
