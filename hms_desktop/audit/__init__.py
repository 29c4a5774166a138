"""The audit trail: automatic rows for every change, explicit rows for events, a keyed hash chain."""
