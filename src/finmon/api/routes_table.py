"""Every endpoint with the permission it requires and the roles allowed: for docs and tests.

The table in docs/api.md is generated from here (``python -m
finmon.api.routes_table``; ``--reference`` prints the per-operation
reference) and a test checks the two agree, and that every route of the app
is either public, takes its credential in the body, or requires a permission,
so no endpoint can be added unprotected unnoticed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fastapi.routing import APIRoute

from finmon.api.app import V1_ROUTERS
from finmon.api.deps import permission_of
from finmon.api.problems import CREDENTIAL_PATHS
from finmon.api.rbac import roles_with
from finmon.api.routers import health

PUBLIC = "public"
CREDENTIALS = "credentials in body"
FRAMEWORK_PUBLIC = (("GET", "/openapi.json"), ("GET", "/docs"), ("GET", "/docs/oauth2-redirect"))


@dataclass(frozen=True, slots=True)
class Endpoint:
    method: str
    path: str
    permission: str
    roles: tuple[str, ...]
    summary: str


def _permissions(dependant: Any) -> Iterator[str]:
    for dep in dependant.dependencies:
        found = permission_of(dep.call) if dep.call is not None else None
        if found is not None:
            yield found
        yield from _permissions(dep)


def _endpoint(route: APIRoute, method: str, public: bool) -> Endpoint:
    found = sorted(set(_permissions(route.dependant)))
    if len(found) > 1:
        raise AssertionError(f"{method} {route.path} requires several permissions: {found}")
    if found:
        roles = tuple(sorted(r.value for r in roles_with(found[0])))
        return Endpoint(method, route.path, found[0], roles, route.summary or "")
    kind = PUBLIC if public else CREDENTIALS if route.path in CREDENTIAL_PATHS else ""
    return Endpoint(method, route.path, kind, (), route.summary or "")


def endpoints() -> list[Endpoint]:
    """Every API route; ``permission`` is '' for a route nothing protects (a bug)."""
    found = []
    for router, public in ((health.router, True), *((r, False) for r in V1_ROUTERS)):
        for route in router.routes:
            assert isinstance(route, APIRoute)  # noqa: S101 - only API routes here
            for method in sorted(route.methods or ()):
                found.append(_endpoint(route, method, public))
    found.extend(
        Endpoint(m, p, PUBLIC, (), "OpenAPI document / Swagger UI") for m, p in FRAMEWORK_PUBLIC
    )
    return sorted(found, key=lambda e: (e.path, e.method))


def markdown_table() -> str:
    """The role table of docs/api.md."""
    lines = ["| method | path | permission | roles allowed |", "|---|---|---|---|"]
    for e in endpoints():
        roles = ", ".join(e.roles) if e.roles else "anyone"
        if e.permission == CREDENTIALS:
            roles = "anyone presenting valid credentials"
        lines.append(f"| {e.method} | `{e.path}` | {e.permission or 'NONE'} | {roles} |")
    return "\n".join(lines) + "\n"


def _schema_name(ref: dict[str, Any]) -> str:
    if "$ref" in ref:
        return f"`{ref['$ref'].rsplit('/', 1)[-1]}`"
    if ref.get("type") == "array" and "items" in ref:
        return f"list of {_schema_name(ref['items'])}"
    return f"`{ref.get('type', 'object')}`"


def _operation(path: str, method: str, op: dict[str, Any]) -> list[str]:
    lines = [f"### {method.upper()} `{path}`", "", op.get("summary", ""), ""]
    params = [
        f"`{p['name']}` ({p['in']}{', required' if p.get('required') else ''})"
        for p in op.get("parameters", [])
    ]
    if params:
        lines.append("Parameters: " + ", ".join(params) + ".")
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
    if body:
        lines.append(f"Body: {_schema_name(body['schema'])}.")
    ok = sorted(code for code in op.get("responses", {}) if code.startswith("2"))
    for code in ok:
        content = op["responses"][code].get("content", {}).get("application/json", {})
        shape = f" {_schema_name(content['schema'])}" if content.get("schema") else ""
        lines.append(f"Success: {code}{shape}.")
    lines.append("")
    return lines


def reference_markdown(openapi: dict[str, Any]) -> str:
    """A readable reference of every operation, generated from the OpenAPI document."""
    lines: list[str] = []
    for path in sorted(openapi["paths"]):
        for method, op in sorted(openapi["paths"][path].items()):
            lines.extend(_operation(path, method, op))
    return "\n".join(lines)


def _openapi() -> dict[str, Any]:
    import tempfile
    from pathlib import Path

    from finmon.api.app import create_app
    from finmon.api.testing import make_context

    with tempfile.TemporaryDirectory() as tmp:
        ctx = make_context(Path(tmp))
        try:
            document: dict[str, Any] = create_app(context=ctx).openapi()
        finally:
            ctx.close()
    return document


if __name__ == "__main__":
    import sys

    if "--reference" in sys.argv:
        print(reference_markdown(_openapi()), end="")
    else:
        print(markdown_table(), end="")


__all__ = [
    "CREDENTIALS",
    "PUBLIC",
    "Endpoint",
    "endpoints",
    "markdown_table",
    "reference_markdown",
]
