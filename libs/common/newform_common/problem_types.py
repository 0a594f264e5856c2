"""The catalogue of problem types (RFC 9457 §4): what each `type` a service sends means, in English
and Chinese, served at the type's own URI.

Every `Problem` names a slug; its `type` is `errors.TYPE_BASE + slug`. Each service serves the whole
catalogue (the kit's problems and every service's own: one namespace, so a type means the same thing
wherever it comes from) at `GET /problems` (JSON) and `GET /problems/{slug}` (a plain bilingual HTML
page, no external assets), outside `/v1` and outside the OpenAPI paths. A test scans the source for
every slug sent and fails when one is missing here, or when one listed here is sent by nobody.

Long because it is a table: one row per problem type (119), each with its English and Chinese text;
the code that serves it is the last 60 lines.
"""

# ruff: noqa: E501  (the catalogue is a table: one problem type a row)
from __future__ import annotations

import html
from dataclasses import asdict, dataclass
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse

from .errors import TYPE_BASE, NotFound


@dataclass(frozen=True)
class ProblemType:
    slug: str
    status: int
    title: str
    title_zh: str
    description: str

    @property
    def type(self) -> str:
        return TYPE_BASE + self.slug


_ROWS: list[tuple[str, int, str, str, str]] = [
    # -- the kit: HTTP, validation, authentication, retries ----------------------------------------------------
    ("bad-request", 400, "Bad request", "请求错误", "The request cannot be read: a malformed body or parameter."),
    (
        "unauthorized",
        401,
        "Unauthorized",
        "未认证",
        "No bearer token, or one that is invalid, expired or revoked. Obtain a token and retry.",
    ),
    ("forbidden", 403, "Forbidden", "无权操作", "The token's role, scope or tenant does not allow this request."),
    (
        "not-found",
        404,
        "Not found",
        "未找到",
        "Nothing with this id is visible to the caller (or the path does not exist).",
    ),
    (
        "method-not-allowed",
        405,
        "Method not allowed",
        "方法不允许",
        "The path exists but not with this method; the `Allow` header lists the methods it takes.",
    ),
    (
        "not-acceptable",
        406,
        "Not acceptable",
        "无法提供所需格式",
        "The service cannot answer in a media type the `Accept` header allows.",
    ),
    (
        "conflict",
        409,
        "Conflict",
        "冲突",
        "The request conflicts with the current state of the resource (e.g. a unique "
        "fact already recorded, or a concurrent request that committed first).",
    ),
    (
        "concurrent-change",
        409,
        "Concurrent change",
        "并发修改",
        "The request met a concurrent change of the same data (a lost lock race, a deadlock broken by the database) "
        "and changed nothing. Retry after `Retry-After` seconds, with the same Idempotency-Key.",
    ),
    ("payload-too-large", 413, "Payload too large", "请求体过大", "The body exceeds the size the operation accepts."),
    (
        "unsupported-media-type",
        415,
        "Unsupported media type",
        "不支持的媒体类型",
        "The body's `Content-Type` is not one the operation accepts.",
    ),
    (
        "unprocessable",
        422,
        "Unprocessable request",
        "无法处理的请求",
        "The request is well formed but cannot be carried out.",
    ),
    (
        "unprocessable-request",
        422,
        "Unprocessable request",
        "无法处理的请求",
        "The request is well formed but the framework refused it (HTTP 422).",
    ),
    (
        "validation",
        422,
        "Validation failed",
        "校验失败",
        "A field is missing, of the wrong type or out of range; `errors` lists each field and why.",
    ),
    (
        "unstorable-input",
        422,
        "Unstorable input",
        "无法存储的输入",
        "A value cannot be stored as sent (a NUL character in a string, an integer beyond 64 bits); nothing was stored.",
    ),
    (
        "too-many-requests",
        429,
        "Too many requests",
        "请求过多",
        "Too many requests; retry after `Retry-After` seconds.",
    ),
    (
        "rate-limited",
        429,
        "Too many requests",
        "请求过于频繁",
        "The caller's rate limit is exhausted; retry after `Retry-After` seconds (see the `RateLimit-*` headers).",
    ),
    (
        "internal",
        500,
        "Internal server error",
        "内部错误",
        "An unexpected error; it has been logged. Quote the response's `X-Request-ID` when reporting it.",
    ),
    ("error", 500, "Error", "错误", "An HTTP error without a more specific type."),
    (
        "unavailable",
        503,
        "Service unavailable",
        "服务暂不可用",
        "The service's database is unreachable; retry after `Retry-After` seconds with the same Idempotency-Key.",
    ),
    (
        "upstream-unavailable",
        502,
        "Bad gateway",
        "上游服务暂不可用",
        "The gateway could not reach what is behind it (a service through the workers' app's pass-through, or the identity provider), or it answered too late (504). Retry after `Retry-After` seconds.",
    ),
    (
        "identity-provider-unavailable",
        503,
        "Identity provider unavailable",
        "统一身份认证服务暂不可用",
        "The token names a signing key this service has not seen, and its issuer (the identity provider) cannot be reached to fetch it. The token may be valid: retry after `Retry-After` seconds.",
    ),
    (
        "policy-violation",
        422,
        "Policy violation",
        "违反政策规定",
        "A fact the policy forbids; `measure` and `rule` name the measure (M1–M20) and its rule. Nothing was stored.",
    ),
    (
        "policy-not-in-force",
        422,
        "Policy not in force",
        "政策未生效",
        "No version of the policy covers the fact's date (422); or the successor version is not loaded yet (503, "
        "retry after `Retry-After`).",
    ),
    (
        "predates-policy",
        422,
        "Predates the policy",
        "早于政策生效日期",
        "A batch line's date lies before any loaded version of the policy: it cannot be judged under it.",
    ),
    (
        "bad-cursor",
        400,
        "Bad cursor",
        "无效的分页游标",
        "The `cursor` was not issued by this API (or belongs to another listing).",
    ),
    (
        "idempotency-key",
        422,
        "Invalid Idempotency-Key",
        "无效的幂等键",
        "The `Idempotency-Key` header must be 1 to 200 characters.",
    ),
    (
        "idempotency-key-reuse",
        422,
        "Idempotency-Key reused",
        "幂等键被重复用于不同请求",
        "The `Idempotency-Key` was already used by this caller for a different request (another body or path).",
    ),
    (
        "purpose-required",
        400,
        "Purpose required",
        "需说明用途",
        "Reading personal data or verified facts needs an `X-Purpose` header saying why (it is written to the audit log).",
    ),
    (
        "date-in-future",
        422,
        "Date in the future",
        "日期晚于今日",
        "A date the law counts from (receipt, signature, pay day…) lies in the future (Asia/Shanghai).",
    ),
    ("invalid-date-range", 422, "Invalid date range", "日期区间无效", "An end date lies before its start date."),
    (
        "invalid-identifier",
        422,
        "Invalid identifier",
        "证件号码或代码无效",
        "An ID number or unified social credit code fails its check digit or form.",
    ),
    (
        "schedule-invalid",
        422,
        "Invalid holiday schedule",
        "节假日安排无效",
        "The holiday schedule document is malformed or for a year out of range.",
    ),
    ("clock-paused", 409, "Clock paused", "时限已中止", "The legal clock is already paused."),
    ("clock-not-paused", 409, "Clock not paused", "时限未中止", "The legal clock is not paused, so it cannot resume."),
    (
        "clock-resume-before-pause",
        409,
        "Resumption before pause",
        "恢复日期早于中止日期",
        "A clock cannot resume before the day it was paused.",
    ),
    ("no-clock", 409, "No clock", "无计时", "No running legal clock of this kind exists for the subject."),
    # -- contracts --------------------------------------------------------------------------------------------
    (
        "illegal-transition",
        409,
        "Illegal transition",
        "状态不允许此操作",
        "The contract's current status does not allow this step.",
    ),
    (
        "credit-code-registered",
        409,
        "Credit code registered",
        "统一社会信用代码已登记",
        "An enterprise with this unified social credit code is already registered.",
    ),
    (
        "document-integrity",
        409,
        "Document integrity",
        "文书完整性不符",
        "The contract document does not match the hash signed or stored.",
    ),
    ("date-out-of-order", 422, "Dates out of order", "日期顺序错误", "The dates given contradict each other's order."),
    ("not-the-worker", 403, "Not the worker", "非本人", "Only the worker party to the contract may do this."),
    ("platform-required", 422, "Platform required", "需指明平台", "The request must name the platform it concerns."),
    ("restriction-lifted", 409, "Restriction lifted", "限制已解除", "The account restriction has already been lifted."),
    ("bad-period", 422, "Bad period", "期间无效", "The reporting period is malformed or out of range."),
    # -- wages ------------------------------------------------------------------------------------------------
    (
        "batch-too-large",
        413,
        "Batch too large",
        "批量过大",
        "The batch has more lines or bytes than one upload accepts.",
    ),
    ("empty-batch", 422, "Empty batch", "批量为空", "The batch has no lines."),
    ("invalid-batch", 422, "Invalid batch", "批量格式无效", "The batch cannot be read as CSV or JSON lines."),
    ("invalid-json", 400, "Invalid JSON", "JSON 格式错误", "A line or body is not valid JSON."),
    ("not-utf8", 400, "Not UTF-8", "非 UTF-8 编码", "The upload is not UTF-8 encoded."),
    ("invalid-line", 422, "Invalid line", "行数据无效", "A batch line fails validation; `errors` names the field."),
    ("duplicate-line", 422, "Duplicate line", "重复行", "The same reference appears twice in one batch."),
    ("duplicate-line-id", 422, "Duplicate line id", "重复的行标识", "The same `line_id` appears twice in one batch."),
    (
        "invalid-credit-code",
        422,
        "Invalid credit code",
        "统一社会信用代码无效",
        "The unified social credit code fails its check.",
    ),
    ("invalid-date", 422, "Invalid date", "日期无效", "A date is malformed or impossible."),
    (
        "invalid-period",
        422,
        "Invalid period",
        "期间无效",
        "The pay period's end lies before its start, or it is too long.",
    ),
    (
        "invalid-payment",
        422,
        "Invalid payment",
        "支付记录无效",
        "The payment cannot apply to the statement (amount, date or status).",
    ),
    ("quota-not-in-effect", 422, "Quota not in effect", "定额未生效", "No declared quota is in effect for the date."),
    # -- disputes ---------------------------------------------------------------------------------------------
    (
        "complaint-not-awaiting-reply",
        409,
        "Complaint not awaiting a reply",
        "投诉不在待答复状态",
        "The complaint has already been answered or closed.",
    ),
    (
        "complaint-not-answered",
        409,
        "Complaint not answered",
        "投诉尚未答复",
        "The complaint has no answer to accept yet.",
    ),
    ("complaint-resolved", 409, "Complaint resolved", "投诉已解决", "The complaint is resolved; it cannot change."),
    ("case-not-open", 409, "Case not open", "案件未在办理中", "The case is closed or withdrawn."),
    (
        "case-not-received",
        409,
        "Case not received",
        "案件尚未受理",
        "The case has not been received by a mediation body yet.",
    ),
    ("case-not-mediating", 409, "Case not in mediation", "案件不在调解阶段", "The case is not in mediation."),
    ("case-withdrawn", 409, "Case withdrawn", "案件已撤回", "The worker withdrew the case."),
    (
        "arbitration-first",
        409,
        "Arbitration first",
        "须先仲裁",
        "A labour dispute goes to arbitration before the court (劳动争议调解仲裁法 art. 5).",
    ),
    (
        "arbitration-suspended",
        409,
        "Arbitration suspended",
        "仲裁已中止",
        "The arbitration is suspended; resume it first.",
    ),
    ("no-application", 409, "No application", "无仲裁申请", "No arbitration application has been made."),
    ("no-arbitration", 409, "No arbitration", "无仲裁程序", "The case is not in arbitration."),
    ("no-agreement", 409, "No agreement", "无调解协议", "The mediation ended without an agreement to fulfil."),
    ("no-mediator", 409, "No mediator", "无可用调解员", "No mediator on the roster fits the case."),
    ("no-mediator-assigned", 409, "No mediator assigned", "未指派调解员", "Assign a mediator before this step."),
    (
        "mediator-unfit",
        409,
        "Mediator unfit",
        "调解员不适格",
        "The mediator has a conflict of interest or is inactive.",
    ),
    (
        "legal-aid-requested",
        409,
        "Legal aid requested",
        "已申请法律援助",
        "Legal aid has already been requested for the case.",
    ),
    (
        "not-eligible-for-arbitration",
        409,
        "Not eligible for arbitration",
        "不符合申请仲裁条件",
        "The case cannot go to arbitration yet (劳动争议调解仲裁法 art. 14).",
    ),
    (
        "not-eligible-for-court",
        409,
        "Not eligible for the court",
        "不符合起诉条件",
        "The case cannot go to the court yet (劳动争议调解仲裁法 art. 29, 43).",
    ),
    (
        "restart-before-acceptance",
        409,
        "Restart before acceptance",
        "受理前不能重新计算",
        "The award clock cannot restart before the application was accepted.",
    ),
    ("no-restart", 422, "No restart", "无重新计算事由", "No ground to restart the award clock was given."),
    ("no-respondent", 422, "No respondent", "无被申请人", "The complaint or case names no platform or related unit."),
    (
        "platform-mismatch",
        422,
        "Platform mismatch",
        "平台不一致",
        "The platform named does not match the worker's engagement.",
    ),
    ("unknown-category", 422, "Unknown category", "未知的类别", "The complaint category is not in the catalogue."),
    ("unknown-district", 422, "Unknown district", "未知的区县", "The district is not one of Xining's."),
    ("unknown-occupation", 422, "Unknown occupation", "未知的职业", "The occupation is not in the catalogue."),
    ("unknown-specialty", 422, "Unknown specialty", "未知的专长", "The mediator specialty is not in the catalogue."),
    (
        "unknown-award-item-kind",
        422,
        "Unknown award item",
        "未知的裁决项目",
        "The award item kind is not in the catalogue.",
    ),
    (
        "award-item-amount",
        422,
        "Award item amount",
        "裁决金额无效",
        "An award item's amount is not a positive number of fen.",
    ),
    (
        "accepted-before-received",
        422,
        "Accepted before received",
        "受理日期早于收到日期",
        "The committee cannot accept an application before it received it.",
    ),
    (
        "refused-before-received",
        422,
        "Refused before received",
        "不予受理日期早于收到日期",
        "The committee cannot refuse an application before it received it.",
    ),
    (
        "award-before-acceptance",
        422,
        "Award before acceptance",
        "裁决日期早于受理日期",
        "An award cannot precede acceptance.",
    ),
    (
        "outcome-before-acceptance",
        422,
        "Outcome before acceptance",
        "调解结果早于受理日期",
        "Mediation cannot end before the case was accepted.",
    ),
    (
        "session-before-acceptance",
        422,
        "Session before acceptance",
        "调解会议早于受理日期",
        "A mediation session cannot precede acceptance.",
    ),
    (
        "suspended-before-acceptance",
        422,
        "Suspended before acceptance",
        "中止日期早于受理日期",
        "Arbitration cannot be suspended before acceptance.",
    ),
    ("term-before-start", 422, "Term before start", "期限早于开始日期", "A term ends before it starts."),
    (
        "ended-after-application",
        422,
        "Ended after application",
        "终止日期晚于申请日期",
        "The employment end date lies after the arbitration application.",
    ),
    (
        "knew-after-application",
        422,
        "Knew after application",
        "知道日期晚于申请日期",
        "The day the worker knew of the infringement lies after the application.",
    ),
    (
        "interruption-after-application",
        422,
        "Interruption after application",
        "时效中断晚于申请日期",
        "A limitation interruption lies after the application.",
    ),
    (
        "fulfilled-before-agreement",
        422,
        "Fulfilled before agreement",
        "履行日期早于协议日期",
        "The agreement cannot be fulfilled before it was made.",
    ),
    (
        "fulfil-by-before-agreement",
        422,
        "Fulfil-by before agreement",
        "履行期限早于协议日期",
        "The fulfilment date agreed lies before the agreement.",
    ),
    # -- training ---------------------------------------------------------------------------------------------
    (
        "budget-below-committed",
        409,
        "Budget below committed",
        "预算低于已承诺金额",
        "The course budget cannot drop below what is already committed to claims.",
    ),
    (
        "certificate-already-claimed",
        409,
        "Certificate already claimed",
        "证书已申领补贴",
        "A subsidy was already claimed for this certificate (kept as a fraud signal).",
    ),
    (
        "provider-not-accredited",
        422,
        "Provider not accredited",
        "培训机构未认定",
        "The training provider is not accredited.",
    ),
    ("unknown-course", 422, "Unknown course", "未知的课程", "No such course."),
    (
        "unknown-rule-notice",
        422,
        "Unknown rule notice",
        "未知的规则公示",
        "The rule notice named (a weather response's measure, M8) is not one of this platform's in the rule register.",
    ),
    ("unknown-certificate", 422, "Unknown certificate", "未知的证书", "No such certificate."),
    # -- departments ------------------------------------------------------------------------------------------
    (
        "outside-department-scope",
        403,
        "Outside the department's scope",
        "超出部门职责范围",
        "The department does not hold this kind of fact (another department reports it).",
    ),
    # -- gateway ----------------------------------------------------------------------------------------------
    (
        "listing-conditions-not-met",
        422,
        "Listing conditions not met",
        "不符合列入条件",
        "The facts do not meet the conditions for a credit listing.",
    ),
    ("listing-exists", 409, "Listing exists", "已列入", "The order already has a credit listing."),
    ("listing-ended", 409, "Listing ended", "列入已结束", "The credit listing has already ended."),
    (
        "listing-records-mismatch",
        422,
        "Listing records mismatch",
        "列入记录不一致",
        "The records named do not belong to the listing's subject.",
    ),
    (
        "removal-too-early",
        409,
        "Removal too early",
        "提前移出条件未满足",
        "The listing cannot be removed early yet (minimum listing period not served).",
    ),
    (
        "credit-commitment-required",
        422,
        "Credit commitment required",
        "需提交信用承诺",
        "Early removal needs a credit commitment.",
    ),
    (
        "credit-export-unavailable",
        503,
        "Credit export unavailable",
        "信用数据导出暂不可用",
        "The credit export cannot be produced now; retry later.",
    ),
    ("range-too-long", 422, "Range too long", "区间过长", "The requested date range exceeds the maximum."),
    (
        "webhook-target-refused",
        422,
        "Webhook target refused",
        "回调地址被拒绝",
        "The webhook URL is not https, or resolves to a loopback, private or link-local address.",
    ),
    ("webhook-disabled", 409, "Webhook disabled", "回调已停用", "The webhook is disabled; enable it first."),
    (
        "webhook-secret-unavailable",
        409,
        "Webhook secret unavailable",
        "回调密钥不可再次获取",
        "A webhook's secret is shown once, at registration or rotation; rotate it to get a new one.",
    ),
    (
        "token-issuance-not-configured",
        503,
        "Token issuance not configured",
        "未配置令牌签发",
        "This deployment issues no tokens here (an identity provider does).",
    ),
]

CATALOGUE: dict[str, ProblemType] = {row[0]: ProblemType(*row) for row in _ROWS}
assert len(CATALOGUE) == len(_ROWS), "a slug is catalogued twice"


def entry(slug: str) -> ProblemType | None:
    return CATALOGUE.get(slug)


def _page(p: ProblemType) -> str:
    e = html.escape
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{e(p.title_zh)} · {e(p.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: sans-serif; max-width: 42em; margin: 2em auto; line-height: 1.5">
<p><a href="./">问题类型目录 · Problem types</a></p>
<h1 lang="zh-CN">{e(p.title_zh)}</h1>
<h2 lang="en">{e(p.title)}</h2>
<dl>
<dt>类型 · type</dt><dd><code>{e(p.type)}</code></dd>
<dt>HTTP 状态 · status</dt><dd>{p.status}</dd>
</dl>
<p lang="en">{e(p.description)}</p>
<p lang="zh-CN">响应体为 <code>application/problem+json</code>（RFC 9457）；<code>detail</code> 说明具体原因。</p>
</body></html>
"""


def install(app: FastAPI) -> None:
    """`GET /problems` and `GET /problems/{slug}`: public, outside `/v1`, not in the OpenAPI paths
    (they document the API's errors, they are not operations of it)."""
    router = APIRouter(include_in_schema=False)

    @router.get("/problems")
    async def problem_types() -> list[dict[str, Any]]:
        return [{**asdict(p), "type": p.type} for p in CATALOGUE.values()]

    @router.get("/problems/{slug}", response_class=HTMLResponse)
    async def problem_type(slug: str) -> HTMLResponse:
        found = CATALOGUE.get(slug)
        if found is None:
            raise NotFound("No such problem type")
        return HTMLResponse(_page(found))

    app.include_router(router)
