"""The error family: one base class per layer, one not-found and one conflict, every problem
type in the catalogue, and the kinds the services reason in instead of HTTP statuses."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

import pytest

import kho
from kho.archive import errors as archive_errors
from kho.archive.signatures import SignatureError, TrustConfig, UnreadablePdf
from kho.digitization import errors as digitization_errors
from kho.errors import STATUS, Conflict, KhoError, NotFound, Unavailable, UnreadableDocument
from kho.indexer import errors as indexer_errors
from kho.retention import errors as retention_errors
from kho.services import errors as service_errors
from kho.services.deposit import refusal_kind
from kho.services.verify import check_pdf


def _every_module() -> None:
    for info in pkgutil.walk_packages(kho.__path__, "kho."):
        if info.name.startswith("kho.demo"):
            continue
        importlib.import_module(info.name)


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def test_every_problem_type_raised_anywhere_is_in_the_catalogue() -> None:
    _every_module()
    missing = {
        f"{cls.__module__}.{cls.__qualname__}: {cls.problem_type}"
        for cls in _subclasses(KhoError)
        if cls.problem_type not in STATUS
    }
    assert not missing


@pytest.mark.parametrize(
    ("module", "base"),
    [
        (archive_errors, archive_errors.ArchiveError),
        (indexer_errors, indexer_errors.IndexerError),
        (retention_errors, retention_errors.RetentionError),
        (digitization_errors, digitization_errors.DigitizationError),
        (service_errors, service_errors.ServiceError),
    ],
)
def test_each_layer_raises_errors_of_its_own_base(module: ModuleType, base: type) -> None:
    exported = [getattr(module, name) for name in module.__all__]
    own = [cls for cls in exported if cls.__module__ == module.__name__]
    assert base in own
    assert all(issubclass(cls, base) for cls in own), own


def test_one_not_found_and_one_conflict() -> None:
    assert issubclass(archive_errors.ObjectNotFound, NotFound)
    assert issubclass(service_errors.RecordNotFound, NotFound)
    assert issubclass(archive_errors.ObjectExists, Conflict)
    assert service_errors.Conflict is Conflict
    assert issubclass(service_errors.DuplicateContent, Conflict)
    not_found = {c.problem_type for c in _subclasses(KhoError) if issubclass(c, NotFound)}
    conflicts = {c.problem_type for c in (archive_errors.ObjectExists, Conflict)}
    assert not_found == {"not-found"} and conflicts == {"conflict"}


def test_unreadable_signature_input_is_an_archive_error_not_an_indexer_one() -> None:
    with pytest.raises(UnreadablePdf) as raised:
        check_pdf(b"not a pdf at all", TrustConfig())
    error = raised.value
    assert isinstance(error, SignatureError)
    assert isinstance(error, archive_errors.ArchiveError)
    assert isinstance(error, UnreadableDocument)
    assert indexer_errors.UnreadableDocument is UnreadableDocument
    assert not isinstance(error, indexer_errors.IndexerError)
    assert error.problem()["type"] == "/problems/unreadable-file"


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (service_errors.DuplicateContent("same bytes"), "conflict"),
        (archive_errors.ObjectExists("taken"), "conflict"),
        (Conflict("twice"), "conflict"),
        (archive_errors.InvalidMetadata("bad"), "invalid"),
        (service_errors.AccessDenied("not yours"), "invalid"),
        (UnreadableDocument("garbage"), "invalid"),
        (archive_errors.StoreUnavailable("down"), "failed"),
        (indexer_errors.ExtractorUnavailable("down"), "failed"),
        (KhoError("a bug"), "failed"),
        (digitization_errors.DuplicateScans("same scans"), "conflict"),
        (digitization_errors.OcrUnavailable("no tesseract"), "failed"),
        (digitization_errors.ScanRejected("garbage"), "invalid"),
    ],
)
def test_deposit_outcomes_are_judged_by_kind(error: KhoError, kind: str) -> None:
    assert refusal_kind(error) == kind
    assert error.failure is (kind == "failed")
    assert isinstance(error, Unavailable) or kind != "failed" or type(error) is KhoError
