"""Units: conversion to the base unit and the way numbers and units are shown."""

import pytest

from matching.units import display_unit, format_number, parse_unit


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (1e-6, "1×10⁻⁶"),
        (5e-7, "5×10⁻⁷"),
        (2.5e8, "2.5×10⁸"),
        (9.9996e-7, "1×10⁻⁶"),
        (0.5, "0.5"),
        (1200, "1200"),
        (99.8, "99.8"),
        (-40, "-40"),
        (0, "0"),
    ],
)
def test_format_number(x: float, text: str) -> None:
    assert format_number(x) == text


def test_display_unit() -> None:
    assert display_unit("g/m2/day") == "g/(m²·d)"
    assert display_unit("g/(m2·day)") == "g/(m²·d)"
    assert display_unit("mg/m3") == "mg/m³"
    assert display_unit("W/(m·K)") == "W/(m·K)"


def test_transmission_rate_spellings_convert() -> None:
    a, b = parse_unit("g/(m²·day)"), parse_unit("mg/(m²·d)")
    assert a.dimension == b.dimension == "transmission_rate"
    assert b.factor == pytest.approx(1e-3)
    assert parse_unit("day").dimension == "time"
