"""The 部门核验 page (`/departments`): facts held by departments and what stands out."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from newform_common.app import SnapshotDep

from ...web import shell as web
from ...web.shell import NavLink
from . import weather_page
from .service import rest_station_coverage, summary

LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "stations": "户外劳动者驿站（M14）",
        "stations_note": (
            "登记劳动者：在平台有有效注册的劳动者，按其最近一次有效注册所报居住区县计入一个区县。"
            "报告：劳动者反映驿站关闭、已满、设施损坏等；处理时限为 M14 告警处理期限。"
        ),
        "st_district": "区县",
        "st_unknown": "未注明",
        "st_stations": "驿站数",
        "st_workers": "登记劳动者数",
        "st_per_station": "每站劳动者数",
        "st_reports": "报告数",
        "st_open": "待处理",
        "st_open_overdue": "已逾期未处理",
        "st_handled": "已处理",
        "st_handled_late": "逾期处理",
        "st_median": "处理用时中位数（小时）",
        "st_total": "合计",
        "st_gaps": "无驿站的区县",
        "st_no_gaps": "各区县均有驿站",
        "title": "部门核验信息",
        "sources": "各部门报送",
        "department": "部门",
        "kind": "类别",
        "facts": "条数",
        "last": "最近时间",
        "not_enrolled": "未参保劳动者（按险种）",
        "type": "险种",
        "count": "人数",
        "licences": "失效的劳务派遣许可证",
        "licence": "许可证号",
        "holder": "持证单位",
        "credit_code": "统一社会信用代码",
        "invalid_from": "失效日期",
        "revoked": "吊销",
        "expired": "到期",
        "unqualified": "不具备资质或已吊销注销的企业",
        "arrears": "劳动监察确认欠薪（元）",
        "outcomes": "仲裁与诉讼结果",
        "outcome": "结果",
        "none": "暂无数据",
        "insurance_enrolment": "参保登记",
        "dispatch_licence": "劳务派遣许可",
        "enterprise_record": "企业登记与资质",
        "inspection_result": "劳动监察结果",
        "case_outcome": "仲裁/诉讼结果",
        "work_injury": "工伤保险",
        "occupational_injury": "职业伤害保障",
        "pension": "养老保险",
        "unemployment": "失业保险",
        "medical": "医疗保险",
    },
    "en": {
        "stations": "Rest stations for outdoor workers (M14)",
        "stations_note": (
            "Registered workers: active registrations, each worker in the residence district of their latest one. "
            "Reports: workers saying a station was closed, full or broken; due within the M14 alert period."
        ),
        "st_district": "District",
        "st_unknown": "Not stated",
        "st_stations": "Stations",
        "st_workers": "Registered workers",
        "st_per_station": "Workers per station",
        "st_reports": "Reports",
        "st_open": "Open",
        "st_open_overdue": "Open past due",
        "st_handled": "Handled",
        "st_handled_late": "Handled late",
        "st_median": "Median handling time (hours)",
        "st_total": "Total",
        "st_gaps": "Districts without a station",
        "st_no_gaps": "Every district has a station",
        "title": "Facts held by departments",
        "sources": "Stated by department",
        "department": "Department",
        "kind": "Kind",
        "facts": "Facts",
        "last": "Latest",
        "not_enrolled": "Workers not enrolled (by type)",
        "type": "Insurance",
        "count": "Workers",
        "licences": "Dispatch licences no longer valid",
        "licence": "Licence",
        "holder": "Holder",
        "credit_code": "Credit code",
        "invalid_from": "Invalid from",
        "revoked": "revoked",
        "expired": "expired",
        "unqualified": "Enterprises unqualified or struck off",
        "arrears": "Arrears confirmed by inspection (yuan)",
        "outcomes": "Arbitration and court outcomes",
        "outcome": "Outcome",
        "none": "No data yet",
        "insurance_enrolment": "insurance enrolment",
        "dispatch_licence": "dispatch licence",
        "enterprise_record": "enterprise record",
        "inspection_result": "inspection result",
        "case_outcome": "case outcome",
        "work_injury": "work injury",
        "occupational_injury": "occupational injury",
        "pension": "pension",
        "unemployment": "unemployment",
        "medical": "medical",
    },
}

page_router = APIRouter(include_in_schema=False)
page_router.include_router(weather_page.page_router)
#: The dashboard's navigation link to this page (`slices.navigation`), and to the slice's other pages.
NAV = NavLink("/departments", zh="部门核验", en="Departments", position=40)
MORE_NAV = (weather_page.NAV,)


@page_router.get("/departments", response_class=HTMLResponse)
async def departments_page(request: Request, session: SnapshotDep):
    guarded = web.guard(request)
    if isinstance(guarded, Response):
        return guarded
    principal, token = guarded
    lang = web.lang_of(request)
    return web.render(
        request,
        "departments.html",
        lang,
        principal=principal,
        csrf=web.csrf_token(request, token),
        s=await summary(session),
        st=await rest_station_coverage(session, principal),
        L=LABELS[lang],
    )
