"""callwarden: dialer."""
