"""Audit: search the trail (who, what, when, from where, before and after), verify its hash chains."""
