"""/v1/screening: sanctions and PEP screening of names, and the lists screened against.

A name is screened by the app's one :class:`~finmon.aml.screening.Screener`
(built once from the active lists of ``<data_dir>/screening``, rebuilt when a
list changes; see :mod:`finmon.api.aml`), so a request costs the query alone
(about half a millisecond on the OFAC SDN list). Every candidate comes with
its explanation (token pairs, what moved the score) and ``is_match`` says
whether it reached its list's threshold; near misses are returned too, so an
analyst sees what almost matched. Screening against nothing would answer "no
match" for everyone, so with no list loaded the screening routes answer 409
``no_lists``: the server's state, not the request, is what must change (and
it is not a transient failure to retry, as a 503 would say).

Names on the lists are public (they are published), so responses show them
to every role. Screening is not audited per name: a payment system screens
every counterparty, and the audit trail records who changed *what* is
screened against (``screening_list_loaded``, refusals with the reason).

A list is uploaded as the raw request body with ``?format=ofac|un|eu|ftm``:
OFAC as a zip of the legacy CSV set (``sdn.csv``, ``alt.csv``, ``add.csv``,
``sdn_comments.csv``, or the ``cons_*`` files) or as the bare ``sdn.csv``
text; UN and EU as their XML; OpenSanctions as FollowTheMoney JSON lines. A
malformed file is a 422 naming the line (or element) and the reason, and the
previous version stays active.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from finmon.api.aml_schemas import (
    ListActivated,
    ListLoaded,
    ListsOut,
    ListVersionsOut,
    ScreenBatchItem,
    ScreenBatchOut,
    ScreenBatchRequest,
    ScreenOut,
    ScreenRequest,
)
from finmon.api.deps import Ctx, require
from finmon.api.rbac import Principal
from finmon.api.responses import COMMON_RESPONSES
from finmon.api.routers.common import audit_action, audit_refusal, json_response
from finmon.core.errors import FinmonError, NotFoundError, Problem, ValidationError

router = APIRouter(responses=COMMON_RESPONSES, prefix="/v1/screening", tags=["screening"])
Reader = Annotated[Principal, Depends(require("screening:read"))]
Loader = Annotated[Principal, Depends(require("lists:write"))]
UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    409: {
        "description": "`no_lists`: no sanctions list is loaded (upload one first)",
        "content": {"application/problem+json": {}},
    }
}
LIST_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": (
            "The list file as published: OFAC a zip of the CSV set or the sdn.csv text,"
            " UN/EU the XML, OpenSanctions FollowTheMoney JSON lines. The Content-Type is"
            " not read: the `format` parameter says what the bytes are."
        ),
        "content": {
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


def version_out(ctx: Any, version: Any) -> dict[str, Any]:
    """A stored list version; its source relative to the data dir (no server paths out)."""
    out: dict[str, Any] = version.to_dict()
    prefix = f"{ctx.settings.data_dir}/"
    if out["source"].startswith(prefix):
        out["source"] = out["source"][len(prefix) :]
    return out


def candidate_out(match: Any) -> dict[str, Any]:
    """A :class:`~finmon.aml.screening.Match` as the API shows it."""
    out: dict[str, Any] = match.to_dict()
    out["is_match"] = out.pop("match")
    return out


def _screen(screener: Any, item: ScreenRequest, prefix: str = "") -> list[dict[str, Any]]:
    try:
        matches = screener.screen(
            item.name,
            dob=item.dob,
            country=item.country,
            entity_type=item.entity_type,
            limit=item.limit,
        )
    except ValidationError as exc:
        if not prefix:
            raise
        problems = [Problem(f"{prefix}{p.field}", p.reason, p.code) for p in exc.problems]
        raise ValidationError.from_problems("names", problems) from None
    return [candidate_out(m) for m in matches]


def _result(candidates: list[dict[str, Any]], subject_id: str | None = None) -> dict[str, Any]:
    return {
        "subject_id": subject_id,
        "match": any(c["is_match"] for c in candidates),
        "candidates": candidates,
    }


@router.post(
    "",
    response_model=ScreenOut,
    responses=UNAVAILABLE,
    summary="Screen one name against the active sanctions and PEP lists, with explanations",
)
def screen(ctx: Ctx, principal: Reader, body: ScreenRequest) -> Any:
    screener, lists = ctx.screening.current()
    return {**_result(_screen(screener, body)), "lists": list(lists)}


def _validated(items: list[ScreenBatchItem], screener: Any) -> list[dict[str, Any]]:
    """Screen every name; all bad names are reported at once (``names.3.name``)."""
    results: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for index, item in enumerate(items):
        try:
            results.append(_result(_screen(screener, item, f"names.{index}."), item.subject_id))
        except ValidationError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ValidationError.from_problems("names", problems)
    return results


@router.post(
    "/batch",
    response_model=ScreenBatchOut,
    responses=UNAVAILABLE,
    summary="Screen up to 1,000 names (configurable) in one call, in order",
)
def screen_batch(ctx: Ctx, principal: Reader, body: ScreenBatchRequest) -> Any:
    if len(body.names) > ctx.api.max_screening_batch:
        raise ValidationError(f"at most {ctx.api.max_screening_batch} names", field="names")
    screener, lists = ctx.screening.current()
    results = _validated(body.names, screener)
    return {
        "screened": len(results),
        "matches": sum(1 for r in results if r["match"]),
        "lists": list(lists),
        "results": results,
    }


@router.get("/lists", response_model=ListsOut, summary="The active version of every list")
def active_lists(ctx: Ctx, principal: Reader) -> Any:
    return {"active": [version_out(ctx, v) for v in ctx.screening.store.active()]}


ListName = Annotated[
    str | None,
    Query(
        alias="list",
        min_length=1,
        max_length=64,
        pattern=r"^[a-z0-9_-]+$",
        description="store under this list name (default: the format's, e.g. ofac_sdn)",
    ),
]


@router.post(
    "/lists",
    status_code=201,
    response_model=ListLoaded,
    responses={200: {"description": "the same content was already active", "model": ListLoaded}},
    openapi_extra=LIST_BODY,
    summary="Upload a list file (raw body, ?format=ofac|un|eu|ftm) and make it active",
)
async def load_list(
    request: Request,
    ctx: Ctx,
    principal: Loader,
    format: Annotated[Literal["ofac", "un", "eu", "ftm"], Query(description="the file's format")],
    list_name: ListName = None,
) -> Any:
    data = await request.body()
    if not data.strip():
        raise ValidationError("the request body is empty: send the list file", field="body")
    target = f"list:{list_name or format}"
    try:
        result = await run_in_threadpool(
            ctx.screening.load, data, format, list_name, principal.name
        )
    except FinmonError as exc:
        audit_refusal(ctx, request, principal, "screening_list_loaded", target, exc.message)
        raise
    version = result.version
    audit_action(
        ctx, request, principal, "screening_list_loaded", f"list:{version.list}:v{version.version}"
    )
    diff = result.diff
    counts = None
    if diff is not None:
        added, changed, removed = len(diff.added), len(diff.changed), len(diff.removed)
        counts = {"added": added, "changed": changed, "removed": removed}
    body = {"version": version_out(ctx, version), "created": result.created, "diff": counts}
    return json_response(201 if result.created else 200, body)


StoredList = Annotated[
    str,
    Path(
        alias="list",
        min_length=1,
        max_length=64,
        pattern=r"^[a-z0-9_-]+$",
        description="the list name, e.g. ofac_sdn",
    ),
]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {
        "description": "no such list (`list`) or version (`version`)",
        "content": {"application/problem+json": {}},
    }
}


@router.get(
    "/lists/{list}/versions",
    response_model=ListVersionsOut,
    responses=NOT_FOUND,
    summary="Every stored version of one list, oldest first, with the active one marked",
)
def list_versions(ctx: Ctx, principal: Reader, list_name: StoredList) -> Any:
    versions = ctx.screening.store.versions(list_name)
    if not versions:
        raise NotFoundError(f"no list named {list_name} is stored", field="list")
    return {"list": list_name, "versions": [version_out(ctx, v) for v in versions]}


@router.post(
    "/lists/{list}/versions/{version}/activate",
    response_model=ListActivated,
    responses=NOT_FOUND,
    summary="Make a stored version of a list active again (roll back or forward)",
)
async def activate_version(
    request: Request,
    ctx: Ctx,
    principal: Loader,
    list_name: StoredList,
    version: Annotated[int, Path(ge=1, le=1_000_000, description="the version to activate")],
) -> Any:
    target = f"list:{list_name}:v{version}"
    try:
        activated, previous = await run_in_threadpool(
            ctx.screening.activate, list_name, version, principal.name
        )
    except FinmonError as exc:
        audit_refusal(ctx, request, principal, "screening_list_activated", target, exc.message)
        raise
    audit_action(ctx, request, principal, "screening_list_activated", target)
    counts = None
    if previous is not None and previous != version:
        diff = await run_in_threadpool(ctx.screening.store.diff, list_name, previous, version)
        counts = {
            "added": len(diff.added),
            "changed": len(diff.changed),
            "removed": len(diff.removed),
        }
    return {"version": version_out(ctx, activated), "previous": previous, "diff": counts}


__all__ = ["candidate_out", "router"]
