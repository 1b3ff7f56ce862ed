"""The built-in detector plugin: registers every detector in :mod:`pvscan.patterns`
and the ``pvscan patterns`` / ``pvscan bench-detectors`` commands."""

from __future__ import annotations

from pvscan import hookimpl
from pvscan.interfaces import Detector
from pvscan.model import Settings


def build_detectors(settings: Settings) -> list[Detector]:
    from .identifiers import ContactDetector, IdentifierDetector

    dets: list[Detector] = [IdentifierDetector(settings), ContactDetector()]
    return dets


@hookimpl
def pvscan_detectors(settings: Settings) -> list[Detector]:
    return build_detectors(settings)
