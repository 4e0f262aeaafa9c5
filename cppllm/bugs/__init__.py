"""Verified bug/fix pairs with real debug context (compiler diagnostics, failed checks, sanitizer reports)."""
