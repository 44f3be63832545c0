"""Versioned, tamper-evident storage of trained models, with champion / challenger state.

Layout under ``root``::

    root/
      index.json            versions in registration order, each with the sha256 of its
                            metadata.json, plus the state: champion, previous champions
                            (a stack, for rollback), challenger
      history.jsonl         one JSON line per state change: at, author, action, version,
                            previous, note (append-only)
      <version>/
        booster.ubj         the xgboost booster, in xgboost's own UBJSON format
        calibration.json    the calibration map as plain numbers
        metadata.json       kind, version, created_at, author, note, training window
                            (first/last event time), rows, positives, feature_names,
                            feature_set_version, params, metrics, split, and the sha256
                            of booster.ubj and calibration.json

Nothing is ever unpickled: the booster is read by xgboost's own parser, the
rest is JSON. :meth:`ModelRegistry.load` checks the metadata's hash against the
index, every artefact's hash against the metadata, the metadata's fields
against the booster (feature count), and the caller's expected feature-set
version, and refuses the model with the reason (:class:`IntegrityError`,
:class:`ValidationError`) on any mismatch. Loading never changes state;
:meth:`promote` loads first, so a tampered or corrupt version cannot become
champion, and the champion in place stays.

One process writes a registry at a time (the trainer or the operator's CLI);
readers may be many. Every file is written to a temporary name and renamed.

Isolation Forest and Half-Space Trees are not stored here (they would need
pickle); see :mod:`finmon.monitor.models.anomaly`.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import os
import re
import shutil
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import xgboost as xgb

from finmon.core.clock import Clock
from finmon.core.errors import ConflictError, IntegrityError, NotFoundError, ValidationError
from finmon.monitor.models import _inputs
from finmon.monitor.models.calibration import Calibration
from finmon.monitor.models.gbm import KIND, TrainedModel

BOOSTER_FILE = "booster.ubj"
CALIBRATION_FILE = "calibration.json"
REFERENCE_FILE = "reference.npy"
"""A sample of the training matrix, the baseline drift (PSI) is measured against."""
METADATA_FILE = "metadata.json"
INDEX_FILE = "index.json"
HISTORY_FILE = "history.jsonl"
FORMAT = 1
_VERSION = re.compile(r"[a-z][a-z0-9_]*-[0-9]{4,}-[0-9a-f]{10}")
"""Version ids as :meth:`ModelRegistry.register` makes them; nothing else names a folder."""

_REQUIRED: dict[str, type | tuple[type, ...]] = {
    "format": int,
    "kind": str,
    "version": str,
    "created_at": str,
    "feature_names": list,
    "feature_set_version": str,
    "params": dict,
    "metrics": dict,
    "rows": int,
    "positives": int,
    "window_start_us": int,
    "window_end_us": int,
    "split": dict,
    "artefacts": dict,
}


@dataclass(frozen=True, slots=True)
class ModelVersion:
    """What the registry knows about one stored version (from its metadata)."""

    version: str
    kind: str
    created_at: datetime
    author: str
    note: str
    feature_set_version: str
    rows: int
    positives: int
    window_start_us: int
    window_end_us: int
    metrics: dict[str, Any]
    path: Path


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _dumps(data: Any) -> str:
    return json.dumps(data, sort_keys=True, indent=1, allow_nan=False)


def _write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a crash never leaves half a file."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)


class ModelRegistry:
    """Model versions on disk plus which one serves (champion) and which shadows it."""

    def __init__(self, root: Path, clock: Clock) -> None:
        self.root = Path(root)
        self.clock = clock
        self._lock = threading.RLock()
        self.root.mkdir(parents=True, exist_ok=True)
        if not (self.root / INDEX_FILE).exists():
            self._save_index(
                {"format": FORMAT, "versions": {}, "champion": None, "previous": [],
                 "challenger": None}
            )  # fmt: skip
        self._index()  # fail now, not at first use, on a corrupt index

    # ----------------------------------------------------------------- index
    def _index(self) -> dict[str, Any]:
        path = self.root / INDEX_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise IntegrityError(f"registry index {path} unreadable: {exc}", field="index") from exc
        if not isinstance(data, dict) or not isinstance(data.get("versions"), dict):
            raise IntegrityError(f"registry index {path} is malformed", field="index")
        return data

    def _save_index(self, data: dict[str, Any]) -> None:
        _write_atomic(self.root / INDEX_FILE, _dumps(data))

    def _record(self, author: str, action: str, version: str | None, **extra: Any) -> None:
        event = {
            "at": self.clock.now().isoformat(),
            "author": author,
            "action": action,
            "version": version,
            **extra,
        }
        with (self.root / HISTORY_FILE).open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(event, sort_keys=True) + "\n")

    def _known(self, version: str) -> dict[str, Any]:
        index = self._index()
        if not isinstance(version, str) or not _VERSION.fullmatch(version):
            raise NotFoundError(f"no model version {version!r}", field="version")
        if version not in index["versions"]:
            raise NotFoundError(f"no model version {version!r}", field="version")
        entry: dict[str, Any] = index["versions"][version]
        return entry

    # -------------------------------------------------------------- register
    def register(self, model: TrainedModel, *, author: str, note: str = "") -> ModelVersion:
        """Store ``model`` as a new version (not yet serving); returns its description.

        ``model.version`` is set to the new version id, so decisions made with
        this very object quote the id the registry knows it by.
        """
        _inputs.version_text(author, "author")
        with self._lock:
            index = self._index()
            created = self.clock.now()
            staging = self.root / f".staging-{len(index['versions']) + 1}"
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir()
            model.booster.save_model(str(staging / BOOSTER_FILE))
            _write_atomic(staging / CALIBRATION_FILE, _dumps(model.calibration.to_dict()))
            booster_sha = sha256_file(staging / BOOSTER_FILE)
            artefacts = {
                BOOSTER_FILE: booster_sha,
                CALIBRATION_FILE: sha256_file(staging / CALIBRATION_FILE),
            }
            if model.reference is not None:
                with (staging / REFERENCE_FILE).open("wb") as fh:
                    np.save(fh, np.asarray(model.reference, dtype=np.float64), allow_pickle=False)
                artefacts[REFERENCE_FILE] = sha256_file(staging / REFERENCE_FILE)
            version = f"{model.kind}-{len(index['versions']) + 1:04d}-{booster_sha[:10]}"
            metadata = {
                "format": FORMAT,
                "kind": model.kind,
                "version": version,
                "created_at": created.isoformat(),
                "author": author,
                "note": note,
                "feature_names": list(model.feature_names),
                "feature_set_version": model.feature_set_version,
                "params": model.params,
                "metrics": model.metrics,
                "rows": model.rows,
                "positives": model.positives,
                "window_start_us": model.window_start_us,
                "window_end_us": model.window_end_us,
                "split": model.split,
                "artefacts": artefacts,
            }
            _write_atomic(staging / METADATA_FILE, _dumps(metadata))
            staging.rename(self.root / version)
            index["versions"][version] = {
                "metadata_sha256": sha256_file(self.root / version / METADATA_FILE),
                "created_at": metadata["created_at"],
            }
            self._save_index(index)
            self._record(author, "register", version, note=note)
            model.version = version
            return _describe(metadata, self.root / version)

    # ------------------------------------------------------------------ load
    def load(
        self, version: str, *, expected_feature_set_version: str | None = None
    ) -> TrainedModel:
        """Read and verify one version; nothing about serving changes.

        Raises:
            NotFoundError: unknown version.
            IntegrityError: a missing, altered or corrupt file, or metadata that
                contradicts the booster; the message says which and why.
            ValidationError: ``code="feature_set_mismatch"`` when the model was
                trained on another feature set than ``expected_feature_set_version``.
        """
        entry = self._known(version)
        folder = self.root / version
        metadata = _read_metadata(folder, entry, version)
        for name, digest in metadata["artefacts"].items():
            _check_hash(folder, name, digest, version)
        if (
            expected_feature_set_version is not None
            and metadata["feature_set_version"] != expected_feature_set_version
        ):
            raise ValidationError(
                f"model {version} was trained on feature set "
                f"{metadata['feature_set_version']!r}, the engine computes "
                f"{expected_feature_set_version!r}",
                field="feature_set_version",
                code="feature_set_mismatch",
            )
        booster = _read_booster(folder / BOOSTER_FILE, version)
        names = metadata["feature_names"]
        if booster.num_features() != len(names) or not all(isinstance(n, str) for n in names):
            raise IntegrityError(
                f"model {version}: booster has {booster.num_features()} features, "
                f"metadata names {len(names)}",
                field="feature_names",
            )
        calibration = Calibration.from_dict(_read_json(folder / CALIBRATION_FILE, version))
        params = metadata["params"]
        nthread = params.get("nthread", 2)
        if isinstance(nthread, bool) or not isinstance(nthread, int) or not 1 <= nthread <= 256:
            raise IntegrityError(f"model {version}: params.nthread {nthread!r}", field="params")
        booster.set_param({"nthread": nthread})
        reference = None
        if REFERENCE_FILE in metadata["artefacts"]:
            reference = _read_reference(folder / REFERENCE_FILE, version, len(names))
        return TrainedModel(
            booster=booster,
            calibration=calibration,
            feature_names=tuple(names),
            feature_set_version=metadata["feature_set_version"],
            params=params,
            metrics=metadata["metrics"],
            rows=metadata["rows"],
            positives=metadata["positives"],
            window_start_us=metadata["window_start_us"],
            window_end_us=metadata["window_end_us"],
            split=metadata["split"],
            kind=metadata["kind"],
            version=version,
            reference=reference,
        )

    def describe(self, version: str) -> ModelVersion:
        """One version's metadata (hash-checked against the index)."""
        entry = self._known(version)
        folder = self.root / version
        return _describe(_read_metadata(folder, entry, version), folder)

    # ----------------------------------------------------------------- state
    def champion(self) -> str | None:
        """The version that serves decisions, or ``None`` before any promotion."""
        value: str | None = self._index()["champion"]
        return value

    def challenger(self) -> str | None:
        """The version scored in shadow beside the champion (never decides), or ``None``."""
        value: str | None = self._index()["challenger"]
        return value

    def promote(self, version: str, *, author: str) -> None:
        """Make ``version`` champion after verifying it loads; the old one can be rolled back to.

        Raises:
            NotFoundError / IntegrityError: as :meth:`load`; the champion is unchanged.
            ConflictError: ``version`` already is the champion.
        """
        _inputs.version_text(author, "author")
        with self._lock:
            self.load(version)
            index = self._index()
            current = index["champion"]
            if current == version:
                raise ConflictError(f"{version} already is the champion", field="version")
            if current is not None:
                index["previous"].append(current)
            index["champion"] = version
            if index["challenger"] == version:
                index["challenger"] = None
            self._save_index(index)
            self._record(author, "promote", version, previous=current)

    def rollback(self, *, author: str) -> str:
        """Put the previous champion back (after verifying it); returns its version.

        Raises:
            ConflictError: no previous champion to return to.
            IntegrityError: the previous champion no longer verifies; nothing changes.
        """
        _inputs.version_text(author, "author")
        with self._lock:
            index = self._index()
            if not index["previous"]:
                raise ConflictError("no previous champion to roll back to", field="champion")
            target: str = index["previous"][-1]
            self.load(target)
            index["previous"].pop()
            current = index["champion"]
            index["champion"] = target
            self._save_index(index)
            self._record(author, "rollback", target, previous=current)
            return target

    def set_challenger(self, version: str | None, *, author: str) -> None:
        """Run ``version`` in shadow beside the champion (``None`` stops the shadow)."""
        _inputs.version_text(author, "author")
        with self._lock:
            index = self._index()
            if version is not None:
                if version == index["champion"]:
                    raise ConflictError(
                        f"{version} is the champion; it cannot also be its challenger",
                        field="version",
                    )
                self.load(version)
            previous = index["challenger"]
            index["challenger"] = version
            self._save_index(index)
            self._record(author, "set_challenger", version, previous=previous)

    def list(self) -> builtins.list[ModelVersion]:
        """Every stored version, in registration order (metadata hash-checked)."""
        return [self.describe(v) for v in self._index()["versions"]]

    def history(self) -> builtins.list[dict[str, Any]]:
        """The state changes, oldest first (register, promote, rollback, set_challenger)."""
        path = self.root / HISTORY_FILE
        if not path.exists():
            return []
        out = []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line:
                try:
                    out.append(json.loads(line))
                except ValueError as exc:
                    raise IntegrityError(
                        f"{HISTORY_FILE} line {number} is not JSON ({exc})", field=HISTORY_FILE
                    ) from exc
        return out


# --------------------------------------------------------------------- helpers
def _read_json(path: Path, version: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise IntegrityError(f"model {version}: {path.name} is missing", field=path.name) from exc
    except (OSError, ValueError) as exc:
        raise IntegrityError(
            f"model {version}: {path.name} is not valid JSON ({exc})", field=path.name
        ) from exc


def _check_hash(folder: Path, name: str, digest: object, version: str) -> None:
    if name not in (BOOSTER_FILE, CALIBRATION_FILE, REFERENCE_FILE) or not isinstance(digest, str):
        raise IntegrityError(f"model {version}: unexpected artefact entry {name!r}", field=name)
    path = folder / name
    if not path.is_file():
        raise IntegrityError(f"model {version}: {name} is missing", field=name)
    actual = sha256_file(path)
    if actual != digest:
        raise IntegrityError(
            f"model {version}: {name} sha256 {actual[:16]}... differs from the registered "
            f"{digest[:16]}... (altered or corrupt); refusing to load it",
            field=name,
        )


def _read_metadata(folder: Path, entry: dict[str, Any], version: str) -> dict[str, Any]:
    """The metadata, after checking its hash against the index and its fields' types."""
    path = folder / METADATA_FILE
    if not path.is_file():
        raise IntegrityError(f"model {version}: {METADATA_FILE} is missing", field=METADATA_FILE)
    actual = sha256_file(path)
    if actual != entry.get("metadata_sha256"):
        raise IntegrityError(
            f"model {version}: {METADATA_FILE} differs from the registered one "
            "(altered or corrupt); refusing to load it",
            field=METADATA_FILE,
        )
    data = _read_json(path, version)
    if not isinstance(data, dict):
        raise IntegrityError(f"model {version}: metadata is not an object", field=METADATA_FILE)
    for key, kind in _REQUIRED.items():
        if not isinstance(data.get(key), kind):
            raise IntegrityError(
                f"model {version}: metadata field {key!r} missing or of the wrong type",
                field=key,
            )
    if data["kind"] != KIND or data["version"] != version or data["format"] != FORMAT:
        raise IntegrityError(
            f"model {version}: metadata names kind {data['kind']!r}, version "
            f"{data['version']!r}, format {data['format']}",
            field=METADATA_FILE,
        )
    if set(data["artefacts"]) - {REFERENCE_FILE} != {BOOSTER_FILE, CALIBRATION_FILE}:
        raise IntegrityError(f"model {version}: artefact list incomplete", field="artefacts")
    return data


def _read_reference(path: Path, version: str, width: int) -> npt.NDArray[np.float64]:
    """The drift baseline: a plain float matrix (never a pickle) of the model's width."""
    try:
        with path.open("rb") as fh:
            data = np.load(fh, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise IntegrityError(
            f"model {version}: {REFERENCE_FILE}: {exc}", field="artefacts"
        ) from None
    if data.dtype != np.float64 or data.ndim != 2 or data.shape[1] != width:
        raise IntegrityError(
            f"model {version}: {REFERENCE_FILE} is {data.dtype} {data.shape}, "
            f"expected (n, {width})",
            field="artefacts",
        )
    return np.asarray(data, dtype=np.float64)


def _read_booster(path: Path, version: str) -> xgb.Booster:
    booster = xgb.Booster()
    try:
        booster.load_model(bytearray(path.read_bytes()))
    except (xgb.core.XGBoostError, ValueError) as exc:
        raise IntegrityError(
            f"model {version}: {path.name} is not a readable booster ({exc})", field=path.name
        ) from exc
    return booster


def _describe(metadata: dict[str, Any], path: Path) -> ModelVersion:
    return ModelVersion(
        version=metadata["version"],
        kind=metadata["kind"],
        created_at=datetime.fromisoformat(metadata["created_at"]),
        author=str(metadata.get("author", "")),
        note=str(metadata.get("note", "")),
        feature_set_version=metadata["feature_set_version"],
        rows=metadata["rows"],
        positives=metadata["positives"],
        window_start_us=metadata["window_start_us"],
        window_end_us=metadata["window_end_us"],
        metrics=metadata["metrics"],
        path=path,
    )
