"""Reports: the clinic's day, money, stock and patients in figures, read-only over the other domains' tables.
Screen: the Reports dock.
"""
