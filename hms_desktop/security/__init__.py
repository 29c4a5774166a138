"""Passwords, tokens, permissions and key storage."""
