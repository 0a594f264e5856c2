"""The dashboard's shell: sign-in, language, layout and rendering that every page uses (the pages
themselves live with their concern: `sources/<service>/page.py`, `alerts/page.py`, ...).

Server-rendered pages in Simplified Chinese (`?lang=en` for English).

Sign-in (`signin.py`): through the identity provider, or a pasted token in development; the session's
token is kept in an HttpOnly, SameSite=Strict cookie. Forms that change state
carry a per-session CSRF token (an HMAC of the session's token) besides SameSite. The same rules as
the API: department, regulator and admin tokens only; a department sees and acts on only its alerts.
Every asset (CSS; charts are inline SVG) is served by the gateway itself.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from newform_common import policy as policy_module
from newform_common import vocabulary
from newform_common.auth import Principal, Role
from newform_common.errors import Problem
from newform_common.identity import derive_key
from newform_common.policy import PolicyNotInForce, business_date, get_policy

from ..alerts import routing

WEB_DIR = Path(__file__).resolve().parent
TOKEN_COOKIE = "newform_token"
LANG_COOKIE = "newform_lang"
ALLOWED_ROLES = {Role.department, Role.regulator, Role.admin}

templates = Jinja2Templates(directory=str(WEB_DIR / "templates"))
templates.env.filters["bdate"] = lambda value: business_date(value).isoformat()  # Asia/Shanghai date
templates.env.filters["yuan"] = lambda fen: f"{fen / 100:,.2f}"  # money is stored in fen
TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "app": "新就业形态劳动者权益监管平台",
        "overview": "总览",
        "alerts": "预警",
        "platforms": "平台",
        "workers": "劳动者",
        "training": "技能培训",
        "signin": "登录",
        "signout": "退出",
        "token": "访问令牌",
        "departments": "部门核验",
        "signin_hint": "请粘贴由管理员签发的访问令牌（部门、监管或管理员角色）。",
        "signin_idp": "通过统一身份认证登录",
        "signin_idp_hint": "监管部门和各责任部门工作人员请使用统一身份认证账号登录。",
        "signin_dev_hint": "开发环境：也可粘贴 newform token 签发的访问令牌。",
        "idp_state": "登录已过期或来源不明，请重新登录。",
        "idp_refused": "统一身份认证未完成登录，请重试。",
        "idp_provider_down": "统一身份认证服务暂不可用，请稍后重试。",
        "idp_role": "该账号不是部门、监管或管理员角色，无权使用本平台。",
        "idp_no_signing_key": "本网关未配置会话签名密钥（TOKEN_SIGNING_KEY），请联系运维人员。",
        "registrations": "在册劳动者",
        "by_district": "按区县统计在册劳动者",
        "by_occupation": "按职业统计在册劳动者",
        "by_engagement": "按用工类型统计合同",
        "alerts_by_measure": "按措施统计预警",
        "alerts_by_status": "按状态统计预警",
        "alerts_by_department": "按部门统计待办预警",
        "trends": "每日趋势",
        "t_registrations": "注册",
        "t_contracts": "合同",
        "t_findings": "问题线索",
        "overdue": "逾期",
        "total": "合计",
        "department": "部门",
        "all": "全部",
        "status": "状态",
        "open": "待处理",
        "acknowledged": "已确认",
        "resolved": "已办结",
        "confirmed": "属实",
        "interviewed": "约谈",
        "warned": "警示",
        "penalized": "查处",
        "comment": "留言",
        "dismissed": "不属实",
        "acknowledge": "确认受理",
        "resolve": "办结",
        "note": "备注",
        "measure": "措施",
        "rule": "规则",
        "summary": "摘要",
        "platform": "平台",
        "district": "区县",
        "due": "办理期限",
        "actions": "操作",
        "occurrences": "次数",
        "severity": "严重程度",
        "scorecard": "平台评分",
        "union_coverage": "工会覆盖（会员数/登记劳动者数）",
        "collective_contracts_in_force": "生效集体合同",
        "score": "得分",
        "no_data": "暂无数据",
        "contract_coverage": "合同覆盖率",
        "insurance_coverage": "保险覆盖率",
        "open_findings": "未办结问题",
        "worker_id": "劳动者假名编号",
        "timeline": "时间线",
        "search": "查询",
        "time": "时间",
        "type": "事件",
        "forbidden": "无权访问",
        "error": "出错了",
        "routed_to": "推送部门",
        "no_alerts": "暂无预警",
        "language": "English",
        "active_registrations": "在册注册数",
        "points": "评分依据",
        "filter": "筛选",
        "raised_month": "预警月份",
        "overdue_only": "仅看逾期",
        "next_page": "下一页",
        "measures_lapsed": "《{document}》已于{valid_until}到期，尚未加载后续文件。法律、法规和省级标准照常适用；"
        "仅以该措施为依据的规则暂按原措施执行，相关预警标注“暂行”。",
        "provisional": "暂行",
        "disputes": "争议调处",
    },
    "en": {
        "app": "New-form workers' rights: regulator",
        "overview": "Overview",
        "alerts": "Alerts",
        "platforms": "Platforms",
        "workers": "Workers",
        "training": "Training",
        "signin": "Sign in",
        "departments": "Departments",
        "signout": "Sign out",
        "token": "Access token",
        "signin_hint": "Paste a token issued to you (department, regulator or admin role).",
        "signin_idp": "Sign in with the city's identity service",
        "signin_idp_hint": "Officers of the regulator and the departments sign in with their unified identity account.",
        "signin_dev_hint": "Development: a token from `newform token` may be pasted instead.",
        "idp_state": "The sign-in expired or did not start here; please sign in again.",
        "idp_refused": "The identity service did not complete the sign-in; please retry.",
        "idp_provider_down": "The identity service is unavailable; please retry shortly.",
        "idp_role": "This account has no department, regulator or admin role here.",
        "idp_no_signing_key": "This gateway has no session signing key (TOKEN_SIGNING_KEY); contact the operators.",
        "registrations": "Registered workers",
        "by_district": "Registered workers by district",
        "by_occupation": "Registered workers by occupation",
        "by_engagement": "Contracts by engagement type",
        "alerts_by_measure": "Alerts by measure",
        "alerts_by_status": "Alerts by status",
        "alerts_by_department": "Open alerts by department",
        "trends": "Daily trends",
        "t_registrations": "registrations",
        "t_contracts": "contracts",
        "t_findings": "findings",
        "overdue": "Overdue",
        "total": "Total",
        "department": "Department",
        "all": "All",
        "status": "Status",
        "open": "open",
        "acknowledged": "acknowledged",
        "resolved": "resolved",
        "confirmed": "confirmed",
        "interviewed": "interviewed",
        "warned": "warned",
        "penalized": "penalized",
        "comment": "Comment",
        "dismissed": "dismissed",
        "acknowledge": "Acknowledge",
        "resolve": "Resolve",
        "note": "Note",
        "measure": "Measure",
        "rule": "Rule",
        "summary": "Summary",
        "platform": "Platform",
        "district": "District",
        "due": "Due",
        "actions": "Actions",
        "occurrences": "Occurrences",
        "severity": "Severity",
        "scorecard": "Scorecard",
        "union_coverage": "Union coverage (members / registered workers)",
        "collective_contracts_in_force": "Collective contracts in force",
        "score": "Score",
        "no_data": "no data yet",
        "contract_coverage": "Contract coverage",
        "insurance_coverage": "Insurance coverage",
        "open_findings": "Open findings",
        "worker_id": "Pseudonymous worker id",
        "timeline": "Timeline",
        "search": "Search",
        "time": "Time",
        "type": "Event",
        "forbidden": "Forbidden",
        "error": "Error",
        "routed_to": "Routed to",
        "no_alerts": "No alerts",
        "language": "中文",
        "active_registrations": "Active registrations",
        "points": "Evidence",
        "filter": "Filter",
        "raised_month": "Month raised",
        "overdue_only": "Overdue only",
        "next_page": "Next page",
        "measures_lapsed": "The measures {document} lapsed after {valid_until} and no successor is loaded. Laws, "
        "regulations and provincial standards apply as before; rules resting only on the "
        'measures run provisionally under them, and their alerts say "provisional".',
        "provisional": "provisional",
        "disputes": "Disputes",
    },
}


@dataclass(frozen=True)
class NavLink:
    """A source slice's page in the dashboard's navigation, after the overview, alerts and platforms."""

    path: str
    zh: str
    en: str
    position: int = 100  # new slices follow the first ones, in the order of their positions

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


def mount_web(app: FastAPI, navigation: Sequence[NavLink] = ()) -> None:
    """The static files, and the slices' pages in the navigation (`slices.navigation()`)."""
    app.mount("/static", StaticFiles(directory=str(WEB_DIR / "static")), name="static")
    app.state.navigation = tuple(sorted(navigation, key=lambda link: (link.position, link.path)))


def lang_of(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "zh"
    return lang if lang in TEXT else "zh"


def csrf_token(request: Request, token: str) -> str:
    key = derive_key(request.app.state.settings.pii_secret, "dashboard csrf v1")
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()[:40]


class NotSignedIn(Exception):
    pass


def principal_of(request: Request) -> tuple[Principal, str]:
    token = request.cookies.get(TOKEN_COOKIE)
    if not token:
        raise NotSignedIn()
    try:
        principal = request.app.state.token_verifier.verify(token)
    except Problem as exc:
        raise NotSignedIn() from exc
    return principal, token


def names(lang: str) -> dict[str, dict[str, str]]:
    """Chinese names of the shared vocabulary (newform_common.vocabulary) and the measures, for today."""
    today = policy_module.business_today()
    try:
        departments, districts = vocabulary.departments(today), vocabulary.districts(today)
        occupations, engagement = vocabulary.occupations(today), vocabulary.engagement_types(today)
        measures = {m: t.get(lang, t.get("zh", m)) for m, t in get_policy().measure_titles(today).items()}
    except LookupError:
        departments, districts, occupations, engagement, measures = {}, {}, {}, {}, {}
    if lang == "en":
        departments, districts, occupations, engagement = {}, {}, {}, {}
    dept_names = dict(departments)
    for code, name in districts.items():
        dept_names[routing.county_key(code)] = f"{name}人民政府"
    return {
        "engagement_types": engagement,
        "departments": dept_names,
        "districts": districts,
        "occupations": occupations,
        "measures": measures,
    }


def measures_lapse(t: dict[str, str]) -> str | None:
    """The banner text when the municipal measures have lapsed without a successor (else None)."""
    try:
        status = get_policy().measures_status(policy_module.business_today())
    except PolicyNotInForce:
        return None
    if not status.provisional:
        return None
    v = status.version
    return t["measures_lapsed"].format(document=v.document, valid_until=v.valid_until.isoformat())


def render(request: Request, template: str, lang: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    response = templates.TemplateResponse(
        request,
        template,
        {
            "t": TEXT[lang],
            "lang": lang,
            "names": names(lang),
            "path": request.url.path,
            "navigation": getattr(request.app.state, "navigation", ()),
            **context,
        },
        status_code=status_code,
    )
    if request.query_params.get("lang") in TEXT:
        response.set_cookie(LANG_COOKIE, lang, httponly=True, samesite="strict", max_age=365 * 86400)
    return response


def guard(request: Request) -> tuple[Principal, str] | Response:
    """The signed-in principal, or the response to send instead (sign-in page, 403)."""
    try:
        principal, token = principal_of(request)
    except NotSignedIn:
        return RedirectResponse("/signin?" + urlencode({"next": request.url.path}), status_code=303)
    if principal.role not in ALLOWED_ROLES or (
        principal.role == Role.department and routing.department_key(principal) is None
    ):
        lang = lang_of(request)
        return render(
            request, "error.html", lang, status_code=403, principal=principal, csrf="", message=TEXT[lang]["forbidden"]
        )
    return principal, token


def safe_next(target: str) -> str:
    """Only a local path: a sign-in never becomes an open redirect to another site."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"
