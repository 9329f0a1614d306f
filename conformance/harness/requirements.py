"""Requirement catalogues (conformance/requirements/*.yaml) and the requirement ids tests cite.

A catalogue::

    rfc: 826
    key: RFC826                 # the prefix of ids in markers: "RFC826:R3"
    title: ...
    requirements:
      - id: R1
        level: MUST             # MUST, MUST NOT, SHOULD, SHOULD NOT, MAY
        source: "RFC 826"
        section: "Packet Reception"
        summary: one line in our own words
        applies: true           # or false, with reason:
        reason: ...

Used by conformance/conftest.py (markers are checked at collection) and reports/summary.py (verdicts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

LEVELS = ("MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY")
DEFAULT_DIR = Path(__file__).resolve().parent.parent / "requirements"


class CatalogueError(Exception):
    """A catalogue cannot be used (unreadable YAML, no key, an entry without id, a duplicate id)."""


@dataclass
class Requirement:
    catalogue: str  # the catalogue's key, e.g. "RFC826"
    id: str  # the id inside the catalogue, e.g. "R3"
    level: str
    source: str
    section: str
    summary: str
    applies: bool
    reason: str

    @property
    def full_id(self) -> str:
        return f"{self.catalogue}:{self.id}"


@dataclass
class Catalogue:
    key: str
    rfc: object
    title: str
    path: Path
    requirements: dict[str, Requirement] = field(default_factory=dict)  # id -> Requirement, file order
    warnings: list[str] = field(default_factory=list)  # shape problems that do not stop a run


def load_catalogue(path: Path) -> Catalogue:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise CatalogueError(f"{path}: cannot read the catalogue: {error}") from error
    if not isinstance(data, dict):
        raise CatalogueError(f"{path}: a catalogue is a mapping with rfc, key, title and requirements")
    rfc = data.get("rfc")
    key = data.get("key") or (f"RFC{rfc}" if rfc is not None else None)
    if not key or not isinstance(key, str) or ":" in key:
        raise CatalogueError(f"{path}: no usable 'key' (e.g. key: RFC826) and no 'rfc' number to derive it")
    entries = data.get("requirements") or []
    if not isinstance(entries, list):
        raise CatalogueError(f"{path}: 'requirements' must be a list")
    catalogue = Catalogue(key=key, rfc=rfc, title=str(data.get("title", "")), path=path)
    for position, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or entry.get("id") in (None, ""):
            raise CatalogueError(f"{path}: requirement #{position} has no id")
        rid = str(entry["id"])
        if rid in catalogue.requirements:
            raise CatalogueError(f"{path}: duplicate requirement id {rid!r}")
        level = str(entry.get("level", "")).upper()
        if level not in LEVELS:
            catalogue.warnings.append(f"{key}:{rid}: level {entry.get('level')!r} is not one of {', '.join(LEVELS)}")
        applies = entry.get("applies", True)
        if not isinstance(applies, bool):
            catalogue.warnings.append(f"{key}:{rid}: applies must be true or false, not {applies!r}")
            applies = bool(applies)
        reason = str(entry.get("reason") or "")
        if not applies and not reason:
            catalogue.warnings.append(f"{key}:{rid}: applies is false but no reason is given")
        for name in ("section", "summary"):
            if not entry.get(name):
                catalogue.warnings.append(f"{key}:{rid}: no {name}")
        catalogue.requirements[rid] = Requirement(
            catalogue=key,
            id=rid,
            level=level,
            source=str(entry.get("source") or ""),
            section=str(entry.get("section") or ""),
            summary=str(entry.get("summary") or "").strip(),
            applies=applies,
            reason=reason.strip(),
        )
    return catalogue


def load_catalogues(directory: Path | str = DEFAULT_DIR) -> dict[str, Catalogue]:
    """Every *.yaml in directory, by key. An absent directory gives no catalogues (not an error)."""
    directory = Path(directory)
    catalogues: dict[str, Catalogue] = {}
    if not directory.is_dir():
        return catalogues
    for path in sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml")):
        catalogue = load_catalogue(path)
        if catalogue.key in catalogues:
            raise CatalogueError(f"{path}: key {catalogue.key} is also used by {catalogues[catalogue.key].path}")
        catalogues[catalogue.key] = catalogue
    return catalogues


_ID_SHAPE = re.compile(r"^[^:\s]+:[^\s]+$")


def check_ids(ids, catalogues: dict[str, Catalogue]) -> list[str]:
    """Problems with requirement ids as cited by a test ("<KEY>:<id>"); empty when all are in a catalogue."""
    problems = []
    for full_id in ids:
        if not isinstance(full_id, str) or not _ID_SHAPE.match(full_id):
            problems.append(f"{full_id!r} is not of the form '<CATALOGUE>:<id>' (e.g. 'RFC826:R3')")
            continue
        key, rid = full_id.split(":", 1)
        catalogue = catalogues.get(key)
        if catalogue is None:
            known = ", ".join(sorted(catalogues)) or "none loaded"
            problems.append(f"{full_id!r}: no catalogue with key {key} (catalogues: {known})")
        elif rid not in catalogue.requirements:
            problems.append(f"{full_id!r}: no requirement {rid!r} in {catalogue.path.name}")
    return problems


def resolve(full_id: str, catalogues: dict[str, Catalogue]) -> Requirement | None:
    key, _, rid = full_id.partition(":")
    catalogue = catalogues.get(key)
    return catalogue.requirements.get(rid) if catalogue else None
