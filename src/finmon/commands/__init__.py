"""The `finmon` command's sub-commands, one module per domain.

Each module is a thin Typer layer over its package's public API: it parses
options, calls the library, and renders the result as a rich table or, with
``--json``, one JSON document on stdout (the contract scripts rely on).
"""
