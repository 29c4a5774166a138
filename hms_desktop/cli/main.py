"""``hms``: the administrator's command line. Every subcommand calls the same services the desktop uses.

Errors a person can cause end with one sentence on stderr and a non-zero exit, never a traceback
(``HMS_DEBUG=1`` shows it, for developers).
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Sequence

from hms_desktop import __version__
from hms_desktop.errors import HmsError, ValidationError

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    from hms_desktop.cli import audit_cmds, sql_cmd, store_cmds, sync_cmds

    parser = argparse.ArgumentParser(prog="hms", description="HMS Desktop administration")
    parser.add_argument("--version", action="version", version=f"hms {__version__}")
    parser.add_argument("--data-dir", help="the folder of the store (default: HMS_DATA_DIR, else the user data dir)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    store_cmds.register(sub)
    sql_cmd.register(sub)
    audit_cmds.register(sub)
    sync_cmds.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return handler(args)
    except ValidationError as exc:
        print(f"error: {exc.field}: {exc.message}", file=sys.stderr)
        return 1
    except HmsError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; nothing more was done.", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: one line for the user, the trace only on request
        if os.environ.get("HMS_DEBUG"):
            traceback.print_exc()
        print(f"internal error ({type(exc).__name__}); run with HMS_DEBUG=1 for details.", file=sys.stderr)
        return 70


if __name__ == "__main__":
    sys.exit(main())
