"""``python -m fasthpo``: the command-line interface."""

from fasthpo.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
