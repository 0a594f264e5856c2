"""The 恶劣天气（M8）page (`/weather`): warnings per district with their level and window, the platforms'
responses and those that declared none by the due time, the M8 findings counted (`weather.py` decides)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from newform_common.app import SnapshotDep
from newform_common.errors import Forbidden
from newform_common.policy import BUSINESS_TZ

from ...web import shell as web
from ...web.shell import NavLink
from .weather import WeatherFilters, weather_view

LABELS = {
    "title": "恶劣天气预警与平台应对（M8）",
    "note": (
        "预警：应急管理部门核实发布的各区县恶劣天气预警，时段自开始至解除或结束（以较早者为准）。"
        "应对：平台申报的限制发单、暂停派单、延长服务完成时限等措施；橙色、红色预警须在开始（或登记）后"
        "规定时限内申报，逾期未申报的平台由合同服务的应对时钟判定。M8 问题：指向该预警的全部 M8 问题条数。"
    ),
    "by_district": "各区县汇总",
    "district": "区县",
    "warnings": "预警数",
    "levels": "级别分布",
    "responses": "已申报应对",
    "not_responded": "逾期未申报",
    "findings": "M8 问题数",
    "list": "预警明细",
    "level": "级别",
    "hazard": "灾种",
    "window": "时段",
    "reference": "预警编号",
    "due": "应对截止",
    "responded": "已申报应对的平台",
    "missing": "截止时仍未申报的平台",
    "rules": "M8 问题",
    "open": "持续中",
    "not_required": "无须申报",
    "in_time": "按时",
    "late": "逾期",
    "extended": "延长时限 {n} 分钟",
    "none": "暂无预警",
    "nobody": "—",
    "totals": "M8 问题合计（按规则）",
    "blue": "蓝色",
    "yellow": "黄色",
    "orange": "橙色",
    "red": "红色",
    "snow": "暴雪",
    "ice": "道路结冰",
    "rainstorm": "暴雨",
    "high_wind": "大风",
    "heat": "高温",
    "sandstorm": "沙尘暴",
    "limited": "限制发单",
    "suspended": "暂停派单",
    "unchanged": "未调整派单",
    "M8.weather_no_response": "未按时申报应对",
    "M8.weather_response_without_measure": "应对未限单也未延时",
    "M8.work_during_red_warning": "红色预警期间作业未减少",
    "M8.penalty_during_warning": "预警期间扣除超时罚款",
}

FORBIDDEN = "恶劣天气预警（M8）仅向监管部门和 M8 的责任单位开放；区县政府只能查看本区县。"

page_router = APIRouter(include_in_schema=False)
#: The page's link in the dashboard's navigation (the departments slice's second page, `page.MORE_NAV`).
NAV = NavLink("/weather", zh="恶劣天气", en="Bad weather", position=45)


def _when(value: datetime | None) -> str:
    return value.astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M") if value else ""


@page_router.get("/weather", response_class=HTMLResponse)
async def weather_page(request: Request, session: SnapshotDep):
    guarded = web.guard(request)
    if isinstance(guarded, Response):
        return guarded
    principal, token = guarded
    lang = web.lang_of(request)
    try:
        view = await weather_view(session, principal, WeatherFilters())
    except Forbidden:
        return web.render(request, "error.html", lang, status_code=403, principal=principal, csrf="", message=FORBIDDEN)
    return web.render(
        request,
        "weather.html",
        lang,
        principal=principal,
        csrf=web.csrf_token(request, token),
        v=view,
        when=_when,
        L=LABELS,
    )
