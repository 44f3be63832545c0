"""``python -m finmon``: the same entry point as the ``finmon`` command."""

from finmon.cli import main

if __name__ == "__main__":
    main()
