"""Units of technical indicators: each spelling → (dimension, factor to the base unit).

Unknown units still compare with themselves (dimension ``unit:<spelling>``),
so a new unit written the same way on both sides needs no table entry.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

__all__ = ["Unit", "UNIT_PATTERN", "display_unit", "format_number", "parse_unit"]


@dataclass(frozen=True)
class Unit:
    """A unit: its dimension, factor to the base unit, and base unit label."""

    symbol: str
    dimension: str
    factor: float
    base: str


# dimension: (base label, {spelling: factor})
_TABLE: dict[str, tuple[str, dict[str, float]]] = {
    "length": (
        "m",
        {
            "nm": 1e-9,
            "纳米": 1e-9,
            "μm": 1e-6,
            "um": 1e-6,
            "微米": 1e-6,
            "mm": 1e-3,
            "毫米": 1e-3,
            "cm": 1e-2,
            "厘米": 1e-2,
            "m": 1.0,
            "米": 1.0,
            "km": 1e3,
            "公里": 1e3,
            "千米": 1e3,
            "Å": 1e-10,
            "埃": 1e-10,
        },
    ),
    "ratio": ("%", {"%": 1.0, "％": 1.0, "‰": 0.1, "ppm": 1e-4, "ppb": 1e-7, "百分点": 1.0}),
    "time": (
        "s",
        {
            "ns": 1e-9,
            "纳秒": 1e-9,
            "μs": 1e-6,
            "us": 1e-6,
            "微秒": 1e-6,
            "ms": 1e-3,
            "毫秒": 1e-3,
            "s": 1.0,
            "秒": 1.0,
            "秒钟": 1.0,
            "min": 60.0,
            "分钟": 60.0,
            "h": 3600.0,
            "hr": 3600.0,
            "小时": 3600.0,
            "个小时": 3600.0,
            "天": 86400.0,
            "日": 86400.0,
            "工作日": 86400.0,
            "d": 86400.0,
            "day": 86400.0,
            "days": 86400.0,
            "周": 604800.0,
            "个月": 2.592e6,
            "月": 2.592e6,
            "年": 3.1536e7,
        },
    ),
    "mass": (
        "kg",
        {
            "μg": 1e-9,
            "ug": 1e-9,
            "微克": 1e-9,
            "mg": 1e-6,
            "毫克": 1e-6,
            "g": 1e-3,
            "克": 1e-3,
            "kg": 1.0,
            "千克": 1.0,
            "公斤": 1.0,
            "t": 1e3,
            "吨": 1e3,
        },
    ),
    "specific_energy": (
        "Wh/kg",
        {"Wh/kg": 1.0, "瓦时/千克": 1.0, "瓦时/公斤": 1.0, "kWh/kg": 1e3, "mWh/g": 1.0},
    ),
    "energy_density_vol": ("Wh/L", {"Wh/L": 1.0, "瓦时/升": 1.0}),
    "specific_capacity": ("mAh/g", {"mAh/g": 1.0, "毫安时/克": 1.0}),
    "voltage": ("V", {"μV": 1e-6, "mV": 1e-3, "V": 1.0, "伏": 1.0, "kV": 1e3, "千伏": 1e3}),
    "current": (
        "A",
        {"nA": 1e-9, "μA": 1e-6, "uA": 1e-6, "mA": 1e-3, "A": 1.0, "安": 1.0, "kA": 1e3},
    ),
    "power": (
        "W",
        {
            "μW": 1e-6,
            "mW": 1e-3,
            "毫瓦": 1e-3,
            "W": 1.0,
            "瓦": 1.0,
            "kW": 1e3,
            "千瓦": 1e3,
            "MW": 1e6,
            "兆瓦": 1e6,
        },
    ),
    "energy": (
        "Wh",
        {
            "mWh": 1e-3,
            "Wh": 1.0,
            "kWh": 1e3,
            "千瓦时": 1e3,
            "度": 1e3,
            "MWh": 1e6,
            "GWh": 1e9,
            "J": 1 / 3600,
            "kJ": 1e3 / 3600,
        },
    ),
    "charge": ("Ah", {"mAh": 1e-3, "Ah": 1.0}),
    "frequency": (
        "Hz",
        {"Hz": 1.0, "赫兹": 1.0, "kHz": 1e3, "MHz": 1e6, "兆赫": 1e6, "GHz": 1e9, "THz": 1e12},
    ),
    "sample_rate": (
        "S/s",
        {
            "S/s": 1.0,
            "Sps": 1.0,
            "kS/s": 1e3,
            "kSps": 1e3,
            "MS/s": 1e6,
            "MSps": 1e6,
            "GS/s": 1e9,
            "GSps": 1e9,
            "GSa/s": 1e9,
        },
    ),
    "data_rate": (
        "bit/s",
        {"bps": 1.0, "kbps": 1e3, "Mbps": 1e6, "Mb/s": 1e6, "Gbps": 1e9, "Gb/s": 1e9, "Tbps": 1e12},
    ),
    "pressure": (
        "Pa",
        {
            "Pa": 1.0,
            "帕": 1.0,
            "kPa": 1e3,
            "千帕": 1e3,
            "MPa": 1e6,
            "兆帕": 1e6,
            "GPa": 1e9,
            "bar": 1e5,
            "atm": 101325.0,
        },
    ),
    "temperature": ("℃", {"℃": 1.0, "°C": 1.0, "摄氏度": 1.0, "度C": 1.0}),
    "tempco": ("ppm/K", {"ppm/K": 1.0, "ppm/℃": 1.0, "ppm/°C": 1.0, "ppm/度": 1.0}),
    "concentration": (
        "mg/L",
        {"μg/L": 1e-3, "mg/L": 1.0, "毫克/升": 1.0, "g/L": 1e3, "克/升": 1e3, "mg/l": 1.0},
    ),
    "air_concentration": ("mg/m³", {"mg/m³": 1.0, "mg/m3": 1.0, "毫克/立方米": 1.0, "μg/m³": 1e-3}),
    "decibel": ("dB", {"dB": 1.0, "分贝": 1.0}),
    "sound_level": ("dB(A)", {"dB(A)": 1.0, "dBA": 1.0}),
    "angle": (
        "arcmin",
        {
            "arcmin": 1.0,
            "弧分": 1.0,
            "角分": 1.0,
            "′": 1.0,
            "arcsec": 1 / 60,
            "弧秒": 1 / 60,
            "角秒": 1 / 60,
            "″": 1 / 60,
            "°": 60.0,
            "度角": 60.0,
        },
    ),
    "cycles": ("次", {"次": 1.0, "周次": 1.0, "cycles": 1.0, "圈": 1.0, "万次": 1e4}),
    "throughput": (
        "/h",
        {
            "颗/小时": 1.0,
            "颗/h": 1.0,
            "件/小时": 1.0,
            "件/h": 1.0,
            "pcs/h": 1.0,
            "UPH": 1.0,
            "片/小时": 1.0,
            "个/小时": 1.0,
            "KK/h": 1e6,
            "K/h": 1e3,
            "k/h": 1e3,
            "万颗/小时": 1e4,
            "件/分钟": 60.0,
            "个/分钟": 60.0,
            "箱/小时": 1.0,
            "颗/秒": 3600.0,
        },
    ),
    "speed": (
        "m/s",
        {
            "m/s": 1.0,
            "米/秒": 1.0,
            "km/h": 1 / 3.6,
            "公里/小时": 1 / 3.6,
            "m/min": 1 / 60,
            "米/分钟": 1 / 60,
            "mm/s": 1e-3,
        },
    ),
    "thermal_conductivity": (
        "W/(m·K)",
        {"W/(m·K)": 1.0, "W/mK": 1.0, "W/m·K": 1.0, "W/(m*K)": 1.0, "W/m/K": 1.0},
    ),
    "bits": ("bit", {"bit": 1.0, "bits": 1.0, "位": 1.0, "比特": 1.0}),
    "viscosity": ("mPa·s", {"mPa·s": 1.0, "cP": 1.0, "Pa·s": 1e3}),
    "money": ("元", {"元": 1.0, "万元": 1e4, "亿元": 1e8}),
    "level": ("级", {"级": 1.0}),
    "per_case": ("/例", {"个/例": 1.0, "/例": 1.0, "处/例": 1.0}),
    "flow_daily": (
        "t/d",
        {"吨/天": 1.0, "吨/日": 1.0, "t/d": 1.0, "m³/d": 1.0, "立方米/天": 1.0, "m3/d": 1.0},
    ),
    "transmission_rate": (
        "g/(m²·d)",
        {
            "g/(m²·d)": 1.0,
            "g/(m²·day)": 1.0,
            "g/(m2·d)": 1.0,
            "g/(m2·day)": 1.0,
            "g/m²/d": 1.0,
            "g/m²/day": 1.0,
            "g/m2/d": 1.0,
            "g/m2/day": 1.0,
            "g/m²·d": 1.0,
            "g/m2·d": 1.0,
            "mg/(m²·d)": 1e-3,
            "mg/(m²·day)": 1e-3,
        },
    ),
    "ops": ("TOPS", {"TOPS": 1.0, "TFLOPS": 1.0, "GOPS": 1e-3}),
}


def _clean(unit: str) -> str:
    unit = unicodedata.normalize("NFKC", unit).strip().replace(" ", "")
    return unit.replace("µ", "μ").replace("°C", "℃").replace("℃", "℃")


_UNITS: dict[str, Unit] = {}
for _dim, (_base, _spellings) in _TABLE.items():
    for _spelling, _factor in _spellings.items():
        _UNITS[_spelling] = Unit(_spelling, _dim, _factor, _base)
        _UNITS.setdefault(_clean(_spelling), _UNITS[_spelling])  # m² is looked up as m2

_FOLDED = {
    k.lower(): v
    for k, v in _UNITS.items()
    if k.lower() not in {"mw", "ms", "m", "mm"}
    and sum(1 for x in _UNITS if x.lower() == k.lower()) == 1
}

# Longest first so "mg/L" wins over "mg" and "μm" over "m".
UNIT_PATTERN = "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))


def parse_unit(unit: str | None) -> Unit:
    """Look a unit up; unknown spellings become their own dimension."""
    text = _clean(unit or "")
    if text in _UNITS:
        return _UNITS[text]
    if text.lower() in _FOLDED:
        return _FOLDED[text.lower()]
    if not text:
        return Unit("", "none", 1.0, "")
    return Unit(text, f"unit:{text}", 1.0, text)


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
_AREA_VOLUME = re.compile(r"(?<=[a-zμ])([23])(?![\d])")  # m2 → m², cm3 → cm³
_PER_DAY = re.compile(r"(?<=[·/])day\b")


def format_number(x: float) -> str:
    """A number as people write it: 0.5, 1200, 1×10⁻⁶, 2.5×10⁸ (never 1e-06)."""
    if x == 0 or not math.isfinite(x):
        return "0" if x == 0 else str(x)
    if 1e-4 <= abs(x) < 1e6:
        return f"{x:.6g}"
    exponent = math.floor(math.log10(abs(x)))
    mantissa = float(f"{x / 10**exponent:.3g}")
    if abs(mantissa) >= 10:  # 9.9996e-7 rounds up to 10×10⁻⁷
        mantissa, exponent = mantissa / 10, exponent + 1
    power = "10" + str(exponent).translate(_SUPERSCRIPT)
    return f"{mantissa:g}×{power}"


def display_unit(unit: str) -> str:
    """A unit as people write it: g/m2/day → g/(m²·d), mg/m3 → mg/m³."""
    text = _AREA_VOLUME.sub(lambda m: "²" if m.group(1) == "2" else "³", unit)
    text = _PER_DAY.sub("d", text)
    parts = text.split("/")
    if len(parts) == 3 and parts[1] and parts[2]:  # g/m²/d → g/(m²·d)
        text = f"{parts[0]}/({parts[1]}·{parts[2]})"
    return text
