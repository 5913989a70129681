"""Parsing the probe script's stdout into the typed probe document."""

from netaudit.probe.parse import ProbeParseError, parse_probe

__all__ = ["ProbeParseError", "parse_probe"]
