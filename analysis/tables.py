"""Tables as a notebook shows them: a few columns, numbers to three significant figures (the PDFs of the hand-in print
the text form of a DataFrame, which wraps a wide or 16-digit table into unreadable blocks). The JSON results keep every
column and digit."""

from __future__ import annotations

import math

import pandas as pd


class Table:
    """A DataFrame shown without its index, in one block (its text form is what the hand-in's PDFs print)."""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame

    def __repr__(self) -> str:
        return self.frame.to_string(index=False)

    def _repr_html_(self) -> str:
        return self.frame.to_html(index=False)


def compact(frame: pd.DataFrame | list[dict] | dict, columns: list[str] | None = None, digits: int = 3) -> Table:
    """``frame`` (a DataFrame, records or one record) restricted to ``columns`` (those present, in that order; all when
    None), with every real number written to ``digits`` significant figures, shown without an index."""
    if isinstance(frame, dict):
        frame = [frame]
    table = pd.DataFrame(frame)
    if columns is not None:
        table = table[[c for c in columns if c in table.columns]]
    return Table(table.apply(lambda column: column.map(lambda v: _number(v, digits))).reset_index(drop=True))


def _number(value, digits: int):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    if isinstance(value, int):
        return value
    if not math.isfinite(value):
        return "—" if math.isnan(value) else value
    return f"{value:.{digits}g}".replace("-", "−")


def fields(record: dict, keys: list[str] | None = None, digits: int = 3) -> Table:
    """One record as a two-column table (quantity, value), its scalar entries only (those named in ``keys``, in that
    order, when given), numbers to ``digits`` significant figures: how a notebook shows a result's summary."""
    names = [k for k in (keys if keys is not None else record) if k in record
             and not isinstance(record[k], (dict, list, tuple))]
    return Table(pd.DataFrame({"quantity": names, "value": ["—" if record[k] is None else _number(record[k], digits)
                                                                  for k in names]}))
