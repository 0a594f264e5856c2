"""Batch uploads as lines: JSON lines or CSV (UTF-8, Chinese or English headers), each line parsed alone.

A line that cannot be read becomes that line's error; the other lines go on. CSV cells: amounts in
fen, hours as decimals, deductions as `reason:fen;reason:fen`, premium days as `date:hours;…`
(`date:hours:time-off date` when time off was given in lieu), booleans as 是/否 or true/false. Empty
cells are left out (the field's default applies).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from newform_common.errors import Problem

Format = Literal["jsonl", "csv", "json"]

STATEMENT_HEADERS = {
    "行标识": "line_id",
    "合同编号": "contract_id",
    "劳动者编号": "worker_id",
    "周期开始": "period_start",
    "周期结束": "period_end",
    "应付日期": "due_date",
    "应发工资": "gross_fen",
    "基本工资": "base_fen",
    "计件工资": "piece_fen",
    "计件单数": "piece_orders",
    "加班工资": "overtime_fen",
    "休息日加班工资": "rest_day_fen",
    "法定节假日加班工资": "holiday_fen",
    "恶劣天气补贴": "bad_weather_allowance_fen",
    "夜班补贴": "night_allowance_fen",
    "其他补贴": "other_allowance_fen",
    "扣款": "deductions",
    "正常工时": "normal_hours",
    "加班工时": "overtime_hours",
    "休息日工时": "rest_day_hours",
    "法定节假日工时": "holiday_hours",
    "夜班工时": "night_hours",
    "加班日期": "premium_days",
    "实发工资": "paid_fen",
    "支付日期": "paid_on",
    "支付方式": "payment_method",
}
SESSION_HEADERS = {
    "行标识": "line_id",
    "劳动者编号": "worker_id",
    "合同编号": "contract_id",
    "岗位": "post",
    "上线时间": "started_at",
    "下线时间": "ended_at",
    "接单时长": "order_minutes",
    "完成单数": "orders_completed",
    "平台要求在线": "required_online",
}
TRUE, FALSE = {"是", "true", "1", "yes"}, {"否", "false", "0", "no"}


@dataclass
class RawLine:
    """One line of an upload: its data (CSV, JSON), or its JSON text, validated straight from the text
    (JSON lines: no intermediate dict), or why it could not be read."""

    number: int
    data: dict[str, Any] | None
    error: str | None = None
    field: str | None = None
    json_text: str | None = None

    def line_id(self) -> str | None:
        """The line's id for its error report, if it can be read at all."""
        data = self.data
        if data is None and self.json_text is not None:
            try:
                data = orjson.loads(self.json_text)
            except orjson.JSONDecodeError:
                return None
        value = data.get("line_id") if isinstance(data, dict) else None
        return value if isinstance(value, str) else None


class TooManyLines(Problem):
    status, slug, title = 413, "batch-too-large", "Batch too large"


def format_of(content_type: str | None) -> Format:
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind in ("application/x-ndjson", "application/jsonl", "application/json-lines", "application/x-jsonlines"):
        return "jsonl"
    if kind in ("text/csv", "application/csv"):
        return "csv"
    if kind == "application/json":
        return "json"
    raise Problem(
        f"Unsupported batch format {kind or '(none)'!r}: send application/x-ndjson (JSON lines), "
        'text/csv or application/json ({"lines": [...]})',
        status=415,
        slug="unsupported-media-type",
        title="Unsupported media type",
    )


def split(body: bytes, fmt: Format, headers: dict[str, str], max_lines: int) -> list[RawLine]:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Problem(
            f"The upload is not UTF-8 ({exc.reason} at byte {exc.start})", status=400, slug="not-utf8"
        ) from exc
    if fmt == "json":
        return _json_array(text, max_lines)
    lines = _csv(text, headers, max_lines) if fmt == "csv" else _jsonl(text, max_lines)
    return lines


def _check_count(count: int, max_lines: int) -> None:
    if count == 0:
        raise Problem("The batch has no lines", status=422, slug="empty-batch", title="Empty batch")
    if count > max_lines:
        raise TooManyLines(f"{count} lines: at most {max_lines} per batch; split the upload", max_lines=max_lines)


def _jsonl(text: str, max_lines: int) -> list[RawLine]:
    raw = [(i, line) for i, line in enumerate(text.splitlines(), start=1) if line.strip()]
    _check_count(len(raw), max_lines)
    return [RawLine(number, None, json_text=line) for number, line in raw]


def _json_array(text: str, max_lines: int) -> list[RawLine]:
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise Problem(f"The body is not valid JSON: {exc}", status=400, slug="invalid-json") from exc
    items = doc.get("lines") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise Problem('A JSON batch is an object {"lines": [...]}', status=422, slug="invalid-batch")
    _check_count(len(items), max_lines)
    return [
        RawLine(i, item) if isinstance(item, dict) else RawLine(i, None, "each line must be a JSON object")
        for i, item in enumerate(items, start=1)
    ]


def _header(name: str, headers: dict[str, str]) -> str:
    cleaned = name.strip()
    for unit in ("（分）", "(分)", "（小时）", "(小时)", "（分钟）", "(分钟)"):
        cleaned = cleaned.replace(unit, "")
    return headers.get(cleaned, cleaned)


def _csv(text: str, headers: dict[str, str], max_lines: int) -> list[RawLine]:
    reader = csv.reader(io.StringIO(text))
    try:
        head = next(reader)
    except StopIteration:
        _check_count(0, max_lines)
        raise
    names = [_header(h, headers) for h in head]
    rows = [row for row in reader if any(cell.strip() for cell in row)]
    _check_count(len(rows), max_lines)
    out = []
    for number, row in enumerate(rows, start=1):
        if len(row) != len(names):
            out.append(RawLine(number, None, f"{len(row)} cells for {len(names)} columns"))
            continue
        data: dict[str, Any] = {}
        error = None
        for name, cell in zip(names, row, strict=True):
            cell = cell.strip()
            if cell == "":
                continue
            try:
                data[name] = _cell(name, cell)
            except ValueError as exc:
                error = RawLine(number, None, str(exc), name)
                break
        out.append(error or RawLine(number, data))
    return out


def _pairs(cell: str, key: str, value: str) -> list[dict[str, str]]:
    items = []
    for part in cell.replace("；", ";").split(";"):
        if not part.strip():
            continue
        left, sep, right = part.rpartition(":")
        if not sep:
            raise ValueError(f"{part!r}: write {key}:{value}, several separated by ';'")
        items.append({key: left.strip(), value: right.strip()})
    return items


def _premium_days(cell: str) -> list[dict[str, str]]:
    """`date:hours`, or `date:hours:date of the time off given in lieu` (补休), several separated by ';'."""
    items = []
    for part in cell.replace("；", ";").replace("：", ":").split(";"):
        if not part.strip():
            continue
        fields = [f.strip() for f in part.split(":")]
        if len(fields) not in (2, 3):
            raise ValueError(f"{part!r}: write date:hours or date:hours:time-off date, several separated by ';'")
        item = {"date": fields[0], "hours": fields[1]}
        if len(fields) == 3:
            item["time_off_in_lieu_on"] = fields[2]
        items.append(item)
    return items


def _cell(name: str, cell: str) -> Any:
    if name == "deductions":
        return _pairs(cell, "reason", "amount_fen")
    if name == "premium_days":
        return _premium_days(cell)
    if name == "required_online":
        if cell.lower() in TRUE:
            return True
        if cell.lower() in FALSE:
            return False
        raise ValueError(f"{cell!r} is not 是/否 (true/false)")
    return cell
