"""Multi-workstation sync: the PCs of one clinic share its data through a central server (DESIGN.md, "Sync").

Client side (each PC, over its encrypted store):
- ``outbox``: session hooks that stamp each changed row with this PC's hybrid logical clock (``hlc``) and
  write an outbox entry in the same transaction as the change;
- ``push``/``pull``: send outbox rows in batches with operation ids; fetch the server's changes since a
  checkpoint, one local transaction per page;
- ``enrol``, ``runner`` (``run_once``, ``watch``), ``state`` (``sync_status`` for the status bar),
  ``codes`` (code blocks and per-workstation invoice series), ``conflicts`` (review).

Server side (``hms_desktop.sync.server``): a stateless Starlette app over PostgreSQL, served by uvicorn.

Shared: ``policy`` (which tables and columns sync), ``hlc``, ``codec`` (typed JSON encoding of rows).
"""
