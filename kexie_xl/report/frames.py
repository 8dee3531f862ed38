"""The store as pandas DataFrames, for the analyst with a notebook or a pivot table (pandas is imported here only).

    import kexie_xl
    f = kexie_xl.frames(store="kexie_store.sqlite", months="2026")
    f["activities"].groupby(["month", "kind"]).size().unstack(fill_value=0)

Four frames, one row per …; every frame starts with `month` (YYYY-MM, the report month), `unit` (the unit's code)
and `unit_name`; the other columns are the template's column keys (docs/template.md):
- submissions — unit due that month: status (按时/逾期/未核实/未报/退回), received, received_by (what the time rests
  on), errors, warnings, activities, volunteers, hours, beneficiaries, quarter_to_date, year_to_date, missed, pending
- activities — activity dated in the month, from the unit's adopted report (the city workbook's 活动明细)
- teams — team on the roster of the unit's adopted report that month (team_id, name, level, …, status, dissolved)
- registration — platform × item of the adopted report (platform, item, total, new)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

FRAMES = ("submissions", "activities", "teams", "registration")
SUBMISSION_COLUMNS = (
    "errors",
    "warnings",
    "activities",
    "volunteers",
    "hours",
    "beneficiaries",
    "quarter_to_date",
    "year_to_date",
    "missed",
    "pending",
)


def frames(store: str | Path, months: Any = None, *, config: str | Path | None = None) -> dict[str, pd.DataFrame]:
    """The store's months as DataFrames. `months`: "2026Q4", "2026", "2026-09..2026-11", a list of "YYYY-MM",
    or None for every month the store holds."""
    import pandas as pd

    from ..consolidate.store import ROW_TABLES
    from ..context import load_context
    from .months import city_months, open_store, parse_period, stored_months

    ctx = load_context(config)
    db = open_store(Path(store))
    try:
        if months is None:
            wanted = stored_months(db)
        elif isinstance(months, str):
            wanted = list(parse_period(months).months)
        else:
            wanted = [str(m) for m in months]
        rows: dict[str, list[dict[str, Any]]] = {name: [] for name in FRAMES}
        for city in city_months(db, ctx.settings, ctx.registry, wanted):
            codes = {name: code for code, name in city.names.items()}
            for line in city.units:
                key = {"month": city.month, "unit": line.unit.code, "unit_name": line.unit.name}
                figures = {k: line.values.get(k) for k in SUBMISSION_COLUMNS if k in line.values}
                rows["submissions"].append(
                    {**key, "status": line.status, "received": line.received, "received_by": line.received_by, **figures}
                )
                if line.submission is None:
                    continue
                for table in ("teams", "registration"):
                    rows[table] += [{**key, **_plain(r)} for r in db.rows(table, [line.submission])]
            for a in city.detail:
                name = a["unit"]
                rows["activities"].append({"month": city.month, "unit": codes.get(name, name), "unit_name": name, **_plain(a)})
    finally:
        db.close()
    head = ["month", "unit", "unit_name"]
    columns = {
        "submissions": [*head, "status", "received", "received_by", *SUBMISSION_COLUMNS],
        **{t: [*head, *(c for c in ROW_TABLES[t] if c != "row")] for t in ("activities", "teams", "registration")},
    }
    out = {}
    for name in FRAMES:
        frame = pd.DataFrame(rows[name], columns=columns[name])
        for column in ("date", "founded", "dissolved"):
            if column in frame:
                frame[column] = pd.to_datetime(frame[column], errors="coerce")
        if name == "submissions":  # counts stay whole numbers; a unit that sent nothing has none (<NA>)
            for column in SUBMISSION_COLUMNS:
                if column != "hours":
                    frame[column] = frame[column].astype("Int64")
        out[name] = frame
    return out


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in ("row", "submission_id", "unit")}
