"""Bodies of the AML endpoints: screening, KYC onboarding and rating, the transaction graph.

Request strings are bounded here so a generated or hostile body stays cheap;
what a name *means* (empty, only punctuation, control characters) is the
screening package's call, which answers 422 naming the field.
"""

from __future__ import annotations

import builtins
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field

from finmon.api.schemas import _In

_NAME = Field(max_length=1000, description="the name to screen, in any script")


class ScreenRequest(_In):
    """One name to screen, with the facts that move the score."""

    name: str = _NAME
    dob: str | None = Field(default=None, max_length=32, description="YYYY-MM-DD, YYYY-MM or YYYY")
    country: str | None = Field(
        default=None, max_length=64, description="ISO alpha-2 code or a country name"
    )
    entity_type: Literal["individual", "entity", "vessel", "aircraft"] | None = None
    limit: int = Field(default=5, ge=1, le=50, description="candidates to return, best first")


class ScreenBatchItem(ScreenRequest):
    subject_id: str | None = Field(default=None, max_length=128, description="echoed back")


class ScreenBatchRequest(_In):
    names: list[ScreenBatchItem] = Field(min_length=1, max_length=10_000)


class TokenPairOut(BaseModel):
    query: str
    listed: str
    similarity: float
    how: str


class AdjustmentOut(BaseModel):
    factor: str
    delta: float
    reason: str


class CandidateOut(BaseModel):
    """A listed entry the name resembles, with why (``is_match``: at or above the threshold)."""

    entry_id: str
    entity_type: str
    primary_name: str
    score: float
    name_score: float
    threshold: float
    is_match: bool
    matched_name: str
    variant: str
    matched_latin: str
    pairs: list[TokenPairOut]
    unmatched_query: list[str]
    unmatched_listed: list[str]
    ignored_words: list[str]
    adjustments: list[AdjustmentOut]
    programs: list[str]
    explanation: str
    list_name: str = Field(alias="list", description="the list the entry is on (ofac_sdn, un ...)")


class ListVersionOut(BaseModel):
    list: str
    version: int
    format: str
    source: str
    content_hash: str
    entries: int
    loaded_at: str
    loaded_by: str
    active: bool


class ScreenResult(BaseModel):
    """The candidates for one name, best first; ``match`` when any reached its threshold."""

    subject_id: str | None = None
    match: bool
    candidates: list[CandidateOut]


class ScreenOut(ScreenResult):
    lists: list[str] = Field(description="the active list versions screened, as list:vN")


class ScreenBatchOut(BaseModel):
    screened: int
    matches: int
    lists: list[str]
    results: list[ScreenResult]


class ListsOut(BaseModel):
    active: list[ListVersionOut]


class ListDiffOut(BaseModel):
    added: int
    changed: int
    removed: int


class ListLoaded(BaseModel):
    """The version now active; ``created`` false when the same content was already active."""

    version: ListVersionOut
    created: bool
    diff: ListDiffOut | None


# -- KYC -------------------------------------------------------------------------------------


class CheckOut(BaseModel):
    check: str
    field: str
    status: Literal["pass", "refer", "fail"]
    reason: str


class FactorOut(BaseModel):
    name: str
    input: str
    value: float
    weight: float
    points: float
    reason: str


class TriggerOut(BaseModel):
    code: str
    reason: str


class RatingOut(BaseModel):
    """A customer's rating: score 0-100, tier, the factor breakdown, EDD triggers, next review."""

    customer_id: str
    score: float
    tier: Literal["low", "medium", "high", "prohibited"]
    factors: list[FactorOut]
    floors: list[str]
    edd_triggers: list[TriggerOut]
    rated_on: str
    next_review: str
    activity_ratio: float | None


class HitOut(BaseModel):
    list_name: str
    entry_id: str
    matched_name: str
    score: float
    is_pep: bool


class ApplicantOut(BaseModel):
    customer_id: str
    kind: str
    name: str = Field(description="masked without pii:read")


class OnboardingOut(BaseModel):
    """Approve, refer (EDD first) or reject, with every check and its reason."""

    outcome: Literal["approve", "refer", "reject"]
    decided_at: str
    applicant: ApplicantOut
    checks: list[CheckOut]
    rating: RatingOut
    screening_hits: list[HitOut]
    lists: list[str]


_Code = Field(default=None, max_length=64)


class ProfileIn(_In):
    """What the bank knows about a customer (money in minor units of ``currency``)."""

    customer_id: str = Field(min_length=1, max_length=128)
    kind: Literal["individual", "business"] = "individual"
    name: str = Field(default="", max_length=300, description="screened when not empty")
    date_of_birth: date | None = None
    country: str | None = _Code
    nationality: str | None = _Code
    pep: bool = False
    occupation: str | None = Field(default=None, max_length=200)
    products: list[str] = Field(default_factory=list, max_length=50)
    channels: list[str] = Field(default_factory=list, max_length=50)
    expected_monthly_volume_minor: int | None = Field(default=None, ge=0, le=10**15)
    expected_monthly_count: int | None = Field(default=None, ge=0, le=10**9)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    past_sars: int = Field(default=0, ge=0, le=10_000)
    last_reviewed: date | None = None


class ObservedIn(_In):
    """Money in and out (minor units) and transactions over a window of ``days``."""

    inflow_minor: int = Field(default=0, ge=0, le=10**15)
    outflow_minor: int = Field(default=0, ge=0, le=10**15)
    count: int = Field(default=0, ge=0, le=10**9)
    days: int = Field(default=90, ge=1, le=3660)
    channels: list[str] = Field(default_factory=list, max_length=50)


class RatingRequest(_In):
    profile: ProfileIn
    observed: ObservedIn | None = None
    as_of: date | None = Field(default=None, description="default: today on the server's clock")
    screen: bool = Field(default=True, description="screen the profile's name against the lists")


class RatingResponse(BaseModel):
    rating: RatingOut
    screening_hits: list[HitOut]
    lists: list[str]


# -- graph -----------------------------------------------------------------------------------


class NodeOut(BaseModel):
    key: str = Field(description="kind:id; personal identifiers masked without pii:read")
    kind: str
    distance: int | None = None


class EdgeOut(BaseModel):
    source: str
    target: str
    relation: str
    currency: str
    count: int
    total_minor: int
    first_at: str | None
    last_at: str | None
    transaction_ids: list[str]
    transaction_ids_truncated: bool


class GraphInfo(BaseModel):
    """How much of the log the graph has read."""

    as_of_seq: int
    transactions: int
    skipped: int
    nodes: int
    edges: int


class NeighbourhoodOut(BaseModel):
    center: str
    hops: int
    truncated: bool = Field(description="max_nodes cut the neighbourhood short")
    nodes: list[NodeOut]
    edges: list[EdgeOut]
    graph: GraphInfo


class PathOut(BaseModel):
    source: str
    target: str
    found: bool
    length: int | None
    nodes: list[NodeOut]
    edges: list[EdgeOut]
    graph: GraphInfo


class ListVersionsOut(BaseModel):
    """Every stored version of one list, oldest first (``active`` marks the one in force)."""

    list: str
    versions: builtins.list[ListVersionOut]


class ListActivated(BaseModel):
    """The version now active, the one that was, and what changed between them."""

    version: ListVersionOut
    previous: int | None = Field(description="the version active before (null: none was)")
    diff: ListDiffOut | None = Field(description="entries added/changed/removed vs previous")


class ReviewRecordIn(_In):
    """A customer's review status as the bank's system of record holds it."""

    customer_id: str = Field(min_length=1, max_length=128)
    tier: Literal["low", "medium", "high", "prohibited"]
    last_reviewed: date


class ReviewsDueRequest(_In):
    customers: list[ReviewRecordIn] = Field(min_length=1, max_length=10_000)
    as_of: date | None = Field(default=None, description="default: today on the server's clock")
    limit: int = Field(default=1000, ge=1, le=10_000, description="most overdue first")


class ReviewDueOut(BaseModel):
    customer_id: str
    tier: str
    last_reviewed: str
    due_on: str
    days_overdue: int


class ReviewsDueOut(BaseModel):
    as_of: str
    checked: int
    due_count: int = Field(description="customers due, before `limit`")
    truncated: bool
    due: list[ReviewDueOut]


class HopOut(BaseModel):
    source: str
    target: str
    at: str
    amount_minor: int
    currency: str
    transaction_ids: list[str]


class CycleOut(BaseModel):
    """Money that left ``origin`` and came back, hop by hop in time order."""

    origin: str
    nodes: list[str]
    accounts: list[str]
    occurrences: int
    start: str
    end: str
    hops: list[HopOut]
    transaction_ids: list[str]


class CyclesOut(BaseModel):
    cycles: list[CycleOut]
    truncated: bool = Field(description="`limit` stopped the search")
    graph: GraphInfo


class CommunityOut(BaseModel):
    size: int
    members: list[str]
    members_truncated: bool


class CommunitiesOut(BaseModel):
    method: str
    total: int = Field(description="communities of at least min_size, before `limit`")
    truncated: bool
    communities: list[CommunityOut]
    graph: GraphInfo


class SharedAttributeOut(BaseModel):
    attribute: str = Field(description="kind:id; personal identifiers masked without pii:read")
    kind: str
    customers: list[str]


class EntityClusterOut(BaseModel):
    customers: list[str]
    evidence: list[SharedAttributeOut]


class IgnoredAttributeOut(BaseModel):
    attribute: str
    customers: int


class EntitiesOut(BaseModel):
    total: int
    truncated: bool
    clusters: list[EntityClusterOut]
    ignored: list[IgnoredAttributeOut] = Field(
        description="attributes shared by more than max_share customers (not evidence)"
    )
    graph: GraphInfo


# -- AML findings ----------------------------------------------------------------------------


class FindingOut(BaseModel):
    finding_id: str
    typology: str
    score: int
    account_ids: list[str]
    transaction_ids: list[str]
    first_event_at: str
    detected_at: str
    updated_at: str
    narrative: str
    parameters: dict[str, Any]


class FindingsInfo(BaseModel):
    """How much of the log the detectors have read."""

    as_of_seq: int
    transactions: int
    skipped: int
    findings: int


class FindingsOut(BaseModel):
    total: int = Field(description="findings matching the filter, before `limit`")
    truncated: bool
    findings: list[FindingOut]
    detectors: FindingsInfo


class FindingDetailOut(FindingOut):
    detectors: FindingsInfo


__all__ = [
    "CandidateOut",
    "CommunitiesOut",
    "CyclesOut",
    "EntitiesOut",
    "FindingDetailOut",
    "FindingsOut",
    "ListActivated",
    "ListVersionsOut",
    "ReviewsDueOut",
    "ReviewsDueRequest",
    "ListLoaded",
    "ListsOut",
    "NeighbourhoodOut",
    "OnboardingOut",
    "PathOut",
    "RatingRequest",
    "RatingResponse",
    "ScreenBatchOut",
    "ScreenBatchRequest",
    "ScreenOut",
    "ScreenRequest",
]
