"""`finmon serve`: run the REST API under uvicorn (TLS 1.3 when given a certificate).

Logs are JSON lines on stderr, redacted, with the request's correlation id
(:mod:`finmon.api.logs`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from finmon.core.errors import ValidationError
from finmon.core.settings import load_settings


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
    cert: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="TLS certificate (PEM).")
    ] = None,
    key: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="TLS private key (PEM).")
    ] = None,
    dev_cert: Annotated[
        bool, typer.Option("--dev-cert", help="Make and use a self-signed certificate.")
    ] = False,
) -> None:
    """Serve the API (docs at /docs). With --cert/--key or --dev-cert: HTTPS, TLS 1.3 only."""
    import uvicorn

    from finmon.api.logs import LOG_CONFIG
    from finmon.api.tls import make_dev_cert, tls13_context

    if (cert is None) != (key is None):
        raise ValidationError(
            "--cert and --key go together", field="cert" if cert is None else "key"
        )
    if dev_cert and cert is None:
        cert, key = make_dev_cert(load_settings().data_dir / "tls")
        typer.echo(f"self-signed certificate: {cert} (trust it with curl --cacert)")
    tls = cert is not None
    uvicorn.run(
        "finmon.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        ssl_certfile=str(cert) if tls else None,
        ssl_keyfile=str(key) if tls else None,
        ssl_context_factory=tls13_context if tls else None,
        server_header=False,
        proxy_headers=False,
        log_config=LOG_CONFIG,
        access_log=False,  # the API writes its own JSON access line, with the correlation id
    )


__all__ = ["serve"]


if __name__ == "__main__":  # until `finmon serve` is mounted: python -m finmon.commands.serve
    typer.run(serve)
