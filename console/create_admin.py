"""``python -m console.create_admin --username X``: create the first admin (or reset a password).

The password comes from ``CONSOLE_ADMIN_PASSWORD`` or an interactive prompt; never from argv,
where it would end up in shell history and the process list.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from console import db
from console.auth import Accounts, UserExists
from console.config import ConsoleSettings
from shop import settings as shop_settings
from shop.db.session import make_engine


def main(argv: list[str] | None = None) -> int:
    """Create a console user (or reset a password) from the command line; 1 on any refusal."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--username", required=True)
    parser.add_argument("--role", default="admin", choices=["admin", "annotator", "agent"])
    parser.add_argument("--display-name", default=None)
    parser.add_argument(
        "--reset-password", action="store_true", help="set a new password for an existing user"
    )
    args = parser.parse_args(argv)
    password = str(shop_settings.value("CONSOLE_ADMIN_PASSWORD"))
    if not password:
        password = getpass.getpass("Password (10+ characters): ")
        if password != getpass.getpass("Again: "):
            print("passwords differ", file=sys.stderr)
            return 1
    settings = ConsoleSettings.from_env(require_secret=False)
    engine = make_engine(settings.console_db_url)
    db.ensure_schema(engine)
    accounts = Accounts(engine)
    try:
        if args.reset_password:
            accounts.set_password(args.username, password)
            print(f"password reset for {args.username}")
        else:
            user = accounts.create_user(args.username, password, args.role, args.display_name)
            print(f"created {user.role} {user.username}")
    except UserExists:
        print(f"{args.username} exists; use --reset-password to change the password", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
