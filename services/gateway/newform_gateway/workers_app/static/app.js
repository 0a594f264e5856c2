// The workers' app: contracts, pay and hours, complaints and cases, training, the union, hotlines.
// Every call goes to the gateway's same-origin pass-through (config.api[service]) with the worker's
// own bearer token. Text from the services is always set with textContent (never HTML). A failed
// request says so in Chinese and offers 重试; money arrives in fen and is shown in yuan.
"use strict";

let config = null;
let names = { engagement_types: {}, occupations: {}, districts: {} };
let contracts = [];
let categories = {};
let workerId = null;

const PAY_BASIS = { monthly_salary: "月薪", hourly: "计时", piece_rate: "计件", commission: "提成", mixed: "混合计酬" };
const PAY_PERIOD = { hour: "按小时结算", day: "按日结算", week: "按周结算", month: "按月结算" };
const HOURS = { standard: "标准工时", comprehensive: "综合计算工时", flexible: "不定时工作", part_time: "非全日制" };
const INSURANCE = { work_injury: "工伤保险", occupational_injury: "职业伤害保障", accident: "意外伤害保险" };
const CONTRACT_STATUS = {
  draft: "草拟中", sent: "待您签署", signed: "已签署生效", terminated: "已解除", expired: "已到期", discarded: "已作废",
};
const COMPLAINT_STATUS = { awaiting_reply: "待平台答复", answered: "平台已答复", resolved: "已办结" };
const RESOLUTION = { accepted: "已接受答复", mediation: "已申请调解", department: "已向主管部门反映" };
const STAGE = {
  received: "已申请，待受理", mediating: "调解中", agreement: "已达成调解协议", fulfilled: "协议已履行",
  no_agreement: "调解未成，可申请仲裁或起诉", withdrawn: "已撤回，可申请仲裁或起诉", arbitration_requested: "已申请仲裁",
  arbitration_refused: "仲裁委不予受理，可向法院起诉", arbitration_accepted: "仲裁审理中", awarded: "已裁决",
  settled: "仲裁调解结案", court_referred: "已转法院", judged: "法院已判决",
};
const CLOCK = {
  "disputes.complaint_reply": "平台答复截止日", "disputes.mediation_acceptance": "调解受理截止日",
  "disputes.mediation_limit": "调解截止日", "disputes.mediator_reassignment": "另行指派调解员截止日",
  "disputes.agreement_fulfilment": "协议履行截止日", "disputes.arbitration_acceptance": "仲裁受理截止日",
  "disputes.arbitration_award": "仲裁裁决截止日",
};
const DIFFERENCE = {
  missing_statement: "平台未报送这一期的工资单", amount_differs: "应发金额与平台记录不一致",
  paid_amount_differs: "实发金额与平台记录不一致", short_paid: "少发", paid_late: "未按时发放",
};
const CLAIM_STATUS = {
  submitted: "已提交，待审核", approved: "已批准，待拨付", queued: "已批准，等待预算", rejected: "未批准", paid: "已拨付",
  refused: "重复申请，未受理",
};
const MEMBERSHIP_STATUS = { applied: "已申请，待工会审核", active: "会员", refused: "未获批准", left: "已退会", transferred: "已转出" };

// ---- small helpers --------------------------------------------------------------------------------
function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  if (className) node.className = className;
  return node;
}

const yuan = (fen) => `${(fen / 100).toLocaleString("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 })} 元`;
const fenOf = (text) => Math.round(parseFloat(String(text).replace(/[,，\s元]/g, "")) * 100);
const day = (iso) => (iso ? iso.slice(0, 10) : "");
const occupation = (code) => names.occupations[code] || code || "";
const district = (code) => names.districts[code] || code || "";
// A platform's registered name, from contracts' public directory (fetched once per id, kept for the page's
// life); its id while the name is unknown or unreadable, so a failed look-up never hides a card.
const platformNames = new Map();
const platformName = (id) => platformNames.get(id) || `平台 ${id}`;
const platformLookups = new Map();
function knowPlatforms(ids) {
  return Promise.all([...new Set(ids)].filter(Boolean).map((id) => {
    if (!platformLookups.has(id)) {
      platformLookups.set(id, api("contracts", "GET", `/v1/platforms/${encodeURIComponent(id)}`)
        .then((p) => { if (p && p.name) platformNames.set(id, p.name); })
        .catch((e) => { if (e.retryable) platformLookups.delete(id); }));
    }
    return platformLookups.get(id);
  }));
}
const localToday = () => { const d = new Date(); d.setMinutes(d.getMinutes() - d.getTimezoneOffset()); return d.toISOString().slice(0, 10); };
const newKey = () => (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`);

// A value's dates never break at their hyphens (a 360 px screen would split 2027-01-06).
function withDates(text) {
  const dd = el("dd");
  String(text).split(/(\d{4}-\d{2}-\d{2})/).forEach((part, i) => {
    if (part) dd.append(i % 2 ? el("span", part, "date") : document.createTextNode(part));
  });
  return dd;
}

function field(label, value) {
  const row = el("div", undefined, "field");
  row.append(el("dt", label), withDates(value));
  return row;
}

function fields(pairs) {
  const dl = el("dl");
  for (const [label, value] of pairs) if (value !== null && value !== undefined && value !== "") dl.append(field(label, value));
  return dl;
}

// ---- talking to the services ----------------------------------------------------------------------
class ApiError extends Error {
  constructor(message, status, retryable) { super(message); this.status = status; this.retryable = retryable; }
}

async function api(service, method, path, body, options = {}) {
  const base = config.api[service];
  if (!base) throw new ApiError("此项服务暂未开通。", 0, false);
  const token = await Auth.accessToken();
  const headers = { "Accept": "application/json", "Accept-Language": "zh-CN" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["Idempotency-Key"] = options.key || newKey();
  let response;
  try {
    response = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError("网络连接失败，请检查网络后重试。", 0, true);
  }
  if (response.status === 401 && !options.retried && (await Auth.refresh().catch(() => null))) {
    return api(service, method, path, body, { ...options, retried: true });
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (response.ok) return data;
  const detail = data && (data.detail || data.title);
  if (response.status === 401) {
    showSignedOut("登录已过期，请重新登录。");
    throw new ApiError("登录已过期，请重新登录。", 401, false);
  }
  if (response.status >= 500 || response.status === 429) {
    const chinese = hasChinese(detail) ? detail : "服务暂时不可用，请稍后重试。";
    throw new ApiError(response.status === 429 ? "操作太频繁，请稍后重试。" : chinese, response.status, true);
  }
  throw new ApiError(inChinese(data, response.status), response.status, false);
}

// What a refusal says to a worker: the service's own words when they are Chinese, else the Chinese title
// of its problem type (the catalogue every service serves at /problems), with the measure it cites.
let problemTitles = {};
const hasChinese = (text) => typeof text === "string" && /[\u4e00-\u9fff]/.test(text);

function inChinese(problem, status) {
  if (problem && hasChinese(problem.detail)) return problem.detail;
  const slug = problem && typeof problem.type === "string" ? problem.type.split("/problems/").pop() : "";
  const title = problemTitles[slug] || (problem && hasChinese(problem.title) ? problem.title : `请求未成功（${status}）`);
  return problem && problem.measure ? `${title}（措施 ${problem.measure}）。` : `${title}。`;
}

async function loadProblemTitles() {
  try {
    const response = await fetch("/problems", { headers: { Accept: "application/json" } });
    if (response.ok) problemTitles = Object.fromEntries((await response.json()).map((p) => [p.slug, p.title_zh]));
  } catch (e) { /* the status code's words then */ }
}

async function all(service, path) {
  const items = [];
  let cursor = null;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const page = await api(service, "GET", `${path}${sep}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && items.length < 500);
  return items;
}

// The page-wide notice: what failed, and 重试 when trying again can help.
function notify(message, retry) {
  const box = document.getElementById("notice");
  document.getElementById("notice-text").textContent = message;
  const button = document.getElementById("notice-retry");
  button.hidden = !retry;
  button.onclick = retry ? () => { box.hidden = true; retry(); } : null;
  box.hidden = false;
  box.className = "notice";
}

function inform(message) {
  notify(message, null);
  document.getElementById("notice").className = "notice ok";
}

// Runs a worker's action; on failure says why (重试 repeats it with the same Idempotency-Key).
function action(label, run, after) {
  const b = el("button", label);
  b.type = "button";
  const key = newKey();
  const go = async () => {
    b.disabled = true;
    try {
      const result = await run(key);
      if (after) await after(result);
    } catch (e) {
      notify(e.message, e.retryable ? go : null);
    } finally {
      b.disabled = false;
    }
  };
  b.addEventListener("click", go);
  return b;
}

// Loads a section into its status line; a failure there offers 重试 for that section.
async function load(section, loader) {
  const status = document.querySelector(`#${section} .status`);
  status.replaceChildren(el("p", "正在加载…", "loading"));
  try {
    await loader();
    status.replaceChildren();
  } catch (e) {
    const retry = el("button", "重试", "secondary");
    retry.type = "button";
    retry.addEventListener("click", () => load(section, loader));
    status.replaceChildren(el("p", `无法加载：${e.message}`, "error"), retry);
  }
}

function fill(list, items, render, empty) {
  const node = typeof list === "string" ? document.getElementById(list) : list;
  node.replaceChildren(...(items.length ? items.map(render) : [el("li", empty, "empty")]));
}

// ---- 我的合同 --------------------------------------------------------------------------------------
function termsOf(c) {
  const t = c.terms || {};
  const insured = Object.entries(INSURANCE).map(([k, n]) => `${n}：${t.insurance && t.insurance[k] ? "有" : "无"}`);
  return fields([
    ["合同类型", `${names.engagement_types[c.engagement_type] || c.engagement_type}${c.part_time ? "（非全日制）" : ""}`],
    ["职业", occupation(c.occupation)],
    ["工作地", district(c.district)],
    ["开始日期", day(c.start_date)],
    ["结束日期", c.end_date ? day(c.end_date) : "无固定期限"],
    ["计酬方式", PAY_BASIS[t.pay_basis] || t.pay_basis],
    ["工资结算周期", PAY_PERIOD[t.pay_period] || t.pay_period],
    ["发薪日", t.pay_day || (t.pay_interval_days ? `每 ${t.pay_interval_days} 天` : "未约定")],
    ["基本报酬", t.base_pay_fen !== null && t.base_pay_fen !== undefined ? yuan(t.base_pay_fen) : null],
    ["提成比例", t.commission_ratio_percent !== null && t.commission_ratio_percent !== undefined ? `${t.commission_ratio_percent}%` : null],
    ["工时制度", HOURS[t.hours_arrangement] || t.hours_arrangement],
    ["休息休假", t.rest_rules],
    ["保险", insured.join("\n")],
  ]);
}

function renderContract(c) {
  const li = el("li", undefined, "card");
  li.dataset.contractId = c.contract_id;
  li.append(el("h4", `${platformName(c.platform_id)} · ${names.engagement_types[c.engagement_type] || c.engagement_type}`));
  li.append(el("p", CONTRACT_STATUS[c.status] || c.status, `badge ${c.status}`));
  li.append(termsOf(c));
  for (const f of c.findings || []) {
    if (f.status === "withdrawn") continue;
    li.append(el("p", `提示（${f.measure}）：${(contractFindings[f.finding_id] || {}).summary || f.rule}`, "warning"));
  }
  const text = el("details", undefined, "document");
  text.append(el("summary", "查看合同文本"));
  text.addEventListener("toggle", async () => {
    if (!text.open || text.dataset.loaded) return;
    try {
      const doc = await api("contracts", "GET", `/v1/contracts/${c.contract_id}/document`);
      text.append(el("pre", doc.document_text));
      text.dataset.loaded = "1";
    } catch (e) { notify(e.message, null); }
  });
  li.append(text);
  if (c.status === "sent" && (c.signed_by || []).includes("worker")) li.append(el("p", "您已签署，待平台签署。", "ok"));
  if (c.status === "sent" && !(c.signed_by || []).includes("worker")) {
    const intent = "本人已阅读并同意本合同全部条款，自愿签署。";
    li.append(el("p", `签署即表示：${intent}`, "hint"));
    li.append(action("签署合同", (key) => api("contracts", "POST", `/v1/contracts/${c.contract_id}/signatures`,
      { signer: "worker", intent }, { key }), async () => { inform("合同已签署。"); await loadContracts(); }));
  }
  return li;
}

let contractFindings = {};

async function fetchContracts() {
  contracts = await all("contracts", "/v1/contracts");
  if (contracts.length) workerId = contracts[0].worker_id;
  return contracts;
}

async function loadContracts() {
  const [, findings, restrictions, reasons] = await Promise.all([
    fetchContracts(), all("contracts", "/v1/findings"), all("contracts", "/v1/account-restrictions"),
    Object.keys(restrictionReasons).length ? null : api("contracts", "GET", "/v1/account-restrictions/reasons"),
  ]);
  if (reasons) restrictionReasons = Object.fromEntries(reasons.map((r) => [r.code, r.label]));
  await knowPlatforms([...contracts, ...restrictions].map((x) => x.platform_id));
  contractFindings = Object.fromEntries(findings.map((f) => [f.finding_id, f]));
  fill("restriction-list", restrictions, renderRestriction, "您的账号没有被限制或注销。");
  const order = { sent: 0, signed: 1 };
  const sorted = [...contracts].sort((a, b) => (order[a.status] ?? 2) - (order[b.status] ?? 2));
  fill("contract-list", sorted, renderContract, "暂无合同。平台与您订立合同后会显示在这里。");
}

// ---- 账号限制与申诉 (M5) ---------------------------------------------------------------------------
let restrictionReasons = {};

function appealForm(r, holder) {
  const form = el("form", undefined, "appeal");
  const id = `grounds-${r.restriction_id}`;
  const label = el("label", "申诉理由");
  label.htmlFor = id;
  const grounds = el("textarea");
  grounds.id = id;
  grounds.rows = 3;
  grounds.required = true;
  grounds.maxLength = 2000;
  const submit = el("button", "提交申诉");
  submit.type = "submit";
  form.append(label, grounds, submit);
  const key = newKey();
  const send = async () => {
    submit.disabled = true;
    try {
      await api("contracts", "POST", `/v1/account-restrictions/${r.restriction_id}/appeals`, { grounds: grounds.value.trim() }, { key });
      holder.replaceChildren(el("p", "申诉已提交，平台须依规处理；您也可以投诉或拨打 12333。", "ok"));
    } catch (e) { notify(e.message, e.retryable ? send : null); submit.disabled = false; }
  };
  form.addEventListener("submit", (event) => { event.preventDefault(); send(); });
  return form;
}

function renderRestriction(r) {
  const li = el("li", undefined, "card");
  li.dataset.restrictionId = r.restriction_id;
  li.append(el("h4", `${platformName(r.platform_id)} · ${r.action === "cancel" ? "注销账号" : "限制接单"}`));
  li.append(el("p", r.status === "lifted" ? "已解除" : "正在执行", "badge"));
  li.append(fields([
    ["理由", restrictionReasons[r.reason_code] || (r.reason_listed ? r.reason_code : `未公布的理由（${r.reason_code}）`)],
    ["说明", r.reason_text],
    ["生效日期", day(r.effective_at)],
    ["提前告知", r.notice_given_at ? `${day(r.notice_given_at)}（提前 ${r.notice_days} 天）` : "未告知"],
    ["解除日期", r.lifted_at ? day(r.lifted_at) : null],
  ]));
  for (const f of r.findings || []) li.append(el("p", `提示（${f.measure}）：${(contractFindings[f.finding_id] || {}).summary || f.rule}`, "warning"));
  if (r.status !== "lifted") {
    const holder = el("div");
    const appeal = el("button", "我要申诉", "secondary");
    appeal.type = "button";
    appeal.addEventListener("click", () => { holder.replaceChildren(appealForm(r, holder)); holder.querySelector("textarea").focus(); });
    holder.append(appeal);
    li.append(holder);
  }
  return li;
}

// ---- 我的工资与工时 --------------------------------------------------------------------------------
function payReportForm(s, holder) {
  const form = el("form", undefined, "pay-report");
  const net = Math.max(0, s.gross_fen - s.deductions_fen);
  const id = `received-${s.statement_id}`;
  const label = el("label", "我实际收到（元）");
  label.htmlFor = id;
  const input = el("input");
  input.id = id;
  input.inputMode = "decimal";
  input.required = true;
  input.value = (s.paid_fen / 100).toFixed(2);
  const submit = el("button", "提交反映");
  submit.type = "submit";
  form.append(el("p", `按工资单，应得 ${yuan(net)}（应发减扣款）。`), label, input, submit);
  const key = newKey();
  const send = async () => {
    submit.disabled = true;
    try {
      const report = await api("wages", "POST", "/v1/me/pay-reports", {
        platform_id: s.platform_id, period_start: s.period_start, period_end: s.period_end,
        expected_fen: net, received_fen: fenOf(input.value),
      }, { key });
      const lines = report.differences.map((d) => DIFFERENCE[d.kind] + (d.owed_fen ? ` ${yuan(d.owed_fen)}` : ""));
      holder.replaceChildren(el("p", report.outcome === "resolved"
        ? "已收到您的反映：与平台的工资记录一致。"
        : `已收到您的反映并转主管部门核查：${lines.join("；")}。`, "ok"));
    } catch (e) {
      notify(e.message, e.retryable ? send : null);
      submit.disabled = false;
    }
  };
  form.addEventListener("submit", (event) => { event.preventDefault(); send(); });
  return form;
}

function renderStatement(s, findings) {
  const li = el("li", undefined, "card");
  li.dataset.statementId = s.statement_id;
  li.append(el("h4", `${platformName(s.platform_id)} · ${day(s.period_start)} 至 ${day(s.period_end)}`));
  const unpaid = s.paid_fen < Math.max(0, s.gross_fen - s.deductions_fen);
  li.append(fields([
    ["应发", yuan(s.gross_fen)],
    ["扣款", yuan(s.deductions_fen)],
    ["实发", yuan(s.paid_fen)],
    ["应发放日", day(s.due_date)],
    ["实际发放日", s.paid_on ? day(s.paid_on) : "尚未发放"],
    ["正常工作时长", `${(s.normal_minutes / 60).toFixed(1)} 小时`],
  ]));
  if (unpaid) {
    const owed = yuan(Math.max(0, s.gross_fen - s.deductions_fen) - s.paid_fen);
    const overdue = day(s.due_date) < localToday();
    li.append(el("p", overdue ? `尚欠 ${owed}，发放日 ${day(s.due_date)} 已过，属于拖欠。` : `尚欠 ${owed}，应于 ${day(s.due_date)} 前发放。`, "warning"));
  }
  if ((s.pending_schedule || []).length) li.append(el("p", `节假日加班工资待国务院节假日安排公布后核定：${s.pending_schedule.join("、")}`, "hint"));
  for (const f of s.findings || []) li.append(el("p", `提示（${f.measure}）：${(findings[f.finding_id] || {}).summary || f.rule}`, "warning"));
  const holder = el("div");
  const report = el("button", "工资有问题", "secondary report");
  report.type = "button";
  report.addEventListener("click", () => { holder.replaceChildren(payReportForm(s, holder)); holder.querySelector("input").focus(); });
  holder.append(report);
  li.append(holder);
  return li;
}

async function loadWages() {
  const [statements, findingList] = await Promise.all([all("wages", "/v1/statements"), all("wages", "/v1/findings")]);
  const findings = Object.fromEntries(findingList.map((f) => [f.finding_id, f]));
  if (statements.length) workerId = workerId || statements[0].worker_id;
  await knowPlatforms(statements.map((s) => s.platform_id));
  const months = {};
  for (const s of statements) (months[s.period_start.slice(0, 7)] ||= []).push(s);
  const holder = document.getElementById("statement-months");
  const keys = Object.keys(months).sort().reverse();
  if (!keys.length) holder.replaceChildren(el("p", "暂无工资单。平台报送后会显示在这里。", "empty"));
  else holder.replaceChildren(...keys.map((month) => {
    const group = el("div", undefined, "month");
    const [y, m] = month.split("-");
    group.append(el("h3", `${y}年${Number(m)}月`));
    const list = el("ul", undefined, "items");
    fill(list, months[month], (s) => renderStatement(s, findings), "");
    group.append(list);
    return group;
  }));
  const monthInput = document.getElementById("hours-month");
  if (!monthInput.value) monthInput.value = keys[0] || localToday().slice(0, 7);
  await loadHours();
}

async function loadHours() {
  const holder = document.getElementById("hours");
  const month = document.getElementById("hours-month").value;
  if (!workerId) { holder.replaceChildren(el("p", "暂无工作时长记录。", "empty")); return; }
  const summary = await api("wages", "GET", `/v1/workers/${encodeURIComponent(workerId)}/hours?month=${month}`);
  const list = el("ul", undefined, "days");
  for (const d of summary.days) list.append(el("li", `${day(d.work_date)}：${(d.minutes / 60).toFixed(1)} 小时`));
  holder.replaceChildren(el("p", `${month.replace("-", "年")}月合计 ${(summary.total_minutes / 60).toFixed(1)} 小时（各平台合计）`), list);
}

// ---- 投诉与调解 ------------------------------------------------------------------------------------
function clockLines(clocks) {
  const lines = [];
  for (const c of clocks || []) {
    if (c.status !== "pending" && c.status !== "paused") continue;
    const left = c.days_left === null || c.days_left === undefined ? "" : c.days_left < 0 ? "（已超期）" : `（还有 ${c.days_left} 天）`;
    const paused = c.status === "paused" ? "，已中止计时" : "";
    lines.push(el("p", `${CLOCK[c.kind] || c.kind}：${day(c.last_day)}${left}${paused}`, c.days_left < 0 ? "warning" : "due"));
  }
  return lines;
}

function renderComplaint(c) {
  const li = el("li", undefined, "card");
  li.dataset.complaintId = c.complaint_id;
  li.append(el("h4", `${categories[c.category] || c.category} · ${platformName(c.platform_id)}`));
  li.append(el("p", COMPLAINT_STATUS[c.status] + (c.resolution ? `（${RESOLUTION[c.resolution] || c.resolution}）` : ""), "badge"));
  li.append(el("p", c.description));
  li.append(fields([["提交日期", day(c.filed_at)], ["平台答复截止日", day(c.reply_due_on)]]));
  li.append(...clockLines(c.clocks));
  if (c.reply_overdue) li.append(el("p", "平台未在期限内答复，已记录并报送主管部门。", "warning"));
  if (c.answer) li.append(el("p", `平台答复：${c.answer}`, "answer"));
  const reload = () => loadDisputes();
  if (c.status === "answered") {
    li.append(action("接受答复", (key) => api("disputes", "POST", `/v1/complaints/${c.complaint_id}/acceptance`, undefined, { key }), reload));
  }
  if (c.status !== "resolved") {
    li.append(action("申请调解", (key) => api("disputes", "POST", `/v1/complaints/${c.complaint_id}/escalation`, { to: "mediation" }, { key }),
      async () => { inform("已申请调解，案件进度见下方“我的调解、仲裁案件”。"); await reload(); }));
    li.append(action("向主管部门反映", (key) => api("disputes", "POST", `/v1/complaints/${c.complaint_id}/escalation`, { to: "department" }, { key }), reload));
  }
  if (c.case_id) {
    const link = el("a", "查看案件进度", "follow");
    link.href = `#case-${c.case_id}`;
    li.append(link);
  }
  return li;
}

function arbitrationForm(c) {
  const form = el("form", undefined, "arbitration");
  const id = `knew-${c.case_id}`;
  const label = el("label", "知道权利被侵害的日期");
  label.htmlFor = id;
  const knew = el("input");
  knew.type = "date";
  knew.id = id;
  knew.required = true;
  const submit = el("button", "申请劳动仲裁");
  submit.type = "submit";
  form.append(label, knew, submit);
  const key = newKey();
  const send = async () => {
    submit.disabled = true;
    try {
      await api("disputes", "POST", `/v1/cases/${c.case_id}/arbitration`, { knew_of_breach_on: knew.value }, { key });
      inform("已提交劳动仲裁申请。");
      await loadDisputes();
    } catch (e) { notify(e.message, e.retryable ? send : null); submit.disabled = false; }
  };
  form.addEventListener("submit", (event) => { event.preventDefault(); send(); });
  return form;
}

function renderCase(c) {
  const li = el("li", undefined, "card");
  li.id = `case-${c.case_id}`;
  li.dataset.caseId = c.case_id;
  const track = c.track === "labour_arbitration" ? "劳动争议调解仲裁" : "人民调解／法院";
  li.append(el("h4", `${categories[c.category] || c.category} · ${platformName(c.platform_id)}`));
  li.append(el("p", STAGE[c.stage] || c.stage, "badge"));
  li.append(fields([
    ["处理途径", track],
    ["申请日期", day(c.received_on || c.received_at)],
    ["请求金额", c.claims_total_fen ? yuan(c.claims_total_fen) : null],
    ["可申请仲裁日期", c.arbitration_open_from ? day(c.arbitration_open_from) : null],
    ["仲裁时效截止日", c.limitation_ends_on ? day(c.limitation_ends_on) : null],
  ]));
  li.append(...clockLines(c.clocks));
  if (c.agreement_terms) li.append(el("p", `调解协议：${c.agreement_terms}（履行截止日 ${day(c.fulfil_by)}）`));
  if (c.award_final !== null && c.award_final !== undefined) li.append(el("p", c.award_final ? "本裁决为终局裁决。" : "本裁决为非终局裁决。"));
  const reload = () => loadDisputes();
  if (c.stage === "received" || c.stage === "mediating") {
    li.append(action("撤回申请", async (key) => {
      if (!confirm("确定撤回这个案件吗？")) return null;
      return api("disputes", "POST", `/v1/cases/${c.case_id}/withdrawal`, undefined, { key });
    }, reload));
  }
  if (c.eligible_for_arbitration && (c.track === "labour_arbitration" || c.misclassification_question)) li.append(arbitrationForm(c));
  if (c.court_route_open) li.append(action("向法院起诉", (key) => api("disputes", "POST", `/v1/cases/${c.case_id}/court-referral`, undefined, { key }), reload));
  if (c.limitation_expired) li.append(el("p", `仲裁时效已于 ${day(c.limitation_ends_on)} 届满，仲裁委将审查是否受理。`, "warning"));
  if (!c.legal_aid_requested_at) {
    li.append(action("申请法律援助", (key) => api("disputes", "POST", `/v1/cases/${c.case_id}/legal-aid`, undefined, { key }),
      async () => { inform("已申请法律援助，司法局将与您联系。"); await reload(); }));
  } else {
    li.append(el("p", "已申请法律援助，司法局将与您联系。", "hint"));
  }
  return li;
}

async function loadDisputes() {
  const [cats, complaints, cases] = await Promise.all([
    Object.keys(categories).length ? categories : api("disputes", "GET", "/v1/categories"),
    all("disputes", "/v1/complaints"), all("disputes", "/v1/cases"),
  ]);
  categories = cats;
  const select = document.getElementById("complaint-category");
  if (!select.options.length) {
    select.replaceChildren(...Object.entries(categories).map(([code, name]) => { const o = el("option", name); o.value = code; return o; }));
  }
  if (!contracts.length) await fetchContracts().catch(() => []);
  await knowPlatforms([...contracts, ...complaints, ...cases].map((x) => x.platform_id));
  const contractSelect = document.getElementById("complaint-contract");
  const chosen = contractSelect.value;
  const none = el("option", "没有合同／不涉及合同");
  none.value = "";
  contractSelect.replaceChildren(...contracts.map((c) => {
    const o = el("option", `${platformName(c.platform_id)} · ${names.engagement_types[c.engagement_type] || c.engagement_type}（${day(c.start_date)} 起）`);
    o.value = c.contract_id;
    return o;
  }), none);
  if (chosen && contracts.some((c) => c.contract_id === chosen)) contractSelect.value = chosen;
  document.getElementById("complaint-without-contract").hidden = Boolean(contractSelect.value);
  fill("complaint-list", complaints.reverse(), renderComplaint, "暂无投诉。");
  fill("case-list", cases.reverse(), renderCase, "暂无案件。");
}

function setupComplaintForm() {
  const form = document.getElementById("complaint-form");
  form.contract_id.addEventListener("change", () => {
    document.getElementById("complaint-without-contract").hidden = Boolean(form.contract_id.value);
  });
  let key = newKey();
  const send = async () => {
    const error = document.getElementById("complaint-error");
    const body = {
      category: form.category.value, description: form.description.value.trim(), mask_identity: form.mask_identity.checked,
    };
    if (form.contract_id.value) body.contract_id = form.contract_id.value;
    else if (!form.platform_id.value.trim()) { error.textContent = "请填写投诉的平台。"; return; }
    else Object.assign(body, { platform_id: form.platform_id.value.trim(), occupation: form.occupation.value, district: form.district.value });
    try {
      await api("disputes", "POST", "/v1/complaints", body, { key });
      key = newKey();
      form.reset();
      error.textContent = "";
      document.getElementById("complaint-new").open = false;
      inform("投诉已提交，平台须在答复截止日前答复。");
      await loadDisputes();
    } catch (e) {
      error.textContent = e.message;
      if (e.retryable) notify(e.message, send);
    }
  };
  form.addEventListener("submit", (event) => { event.preventDefault(); send(); });
}

// ---- 技能培训 --------------------------------------------------------------------------------------
// Courses the worker has enrolled in (training's own record, so a reload still knows): no second 报名.
let enrolledCourses = new Set();

function renderCourse(c) {
  const li = el("li", undefined, "card");
  li.dataset.courseId = c.course_id;
  li.append(el("h4", `${occupation(c.occupation)} · ${c.level} 级`));
  li.append(fields([["培训地点", district(c.district)], ["时间", `${day(c.starts_on)} 至 ${day(c.ends_on)}`]]));
  if (enrolledCourses.has(c.course_id)) {
    li.append(el("p", "已报名，请按时参加培训。", "ok"));
    return li;
  }
  li.append(action("报名", (key) => api("training", "POST", `/v1/courses/${c.course_id}/enrolments`, {}, { key }),
    () => {
      enrolledCourses.add(c.course_id);
      li.replaceWith(renderCourse(c));
      inform("已报名，请按时参加培训。");
    }));
  return li;
}

function renderClaim(c) {
  const li = el("li", undefined, "card");
  li.append(el("h4", `${occupation(c.occupation)} · ${c.level} 级 · 证书 ${c.certificate_number}`));
  li.append(el("p", CLAIM_STATUS[c.status] || c.status, "badge"));
  li.append(fields([
    ["补贴金额", yuan(c.amount_fen)], ["补贴发给", c.payee === "worker" ? "本人" : "培训企业"],
    ["提交日期", day(c.submitted_at)], ["拨付日期", c.paid_at ? day(c.paid_at) : null], ["说明", c.reason],
  ]));
  return li;
}

async function loadTraining() {
  const occupations = new Set(contracts.map((c) => c.occupation));
  const [courses, claims, enrolments] = await Promise.all([
    all("training", "/v1/courses"), all("training", "/v1/claims"), all("training", "/v1/enrolments"),
  ]);
  enrolledCourses = new Set(enrolments.map((e) => e.course_id));
  const today = localToday();
  const open = courses.filter((c) => c.ends_on >= today && (!occupations.size || occupations.has(c.occupation)));
  fill("course-list", open, renderCourse, "暂无可报名的课程。");
  fill("claim-list", claims, renderClaim, "暂无补贴申请。");
}

function options(select, entries) {
  document.getElementById(select).replaceChildren(...Object.entries(entries).map(([code, name]) => {
    const o = el("option", name);
    o.value = code;
    return o;
  }));
}

function fillDistricts() {
  options("claim-district", names.districts);
  options("complaint-district", names.districts);
  options("complaint-occupation", names.occupations);
}

function setupClaimForm() {
  const form = document.getElementById("claim-form");
  let key = newKey();
  const send = async () => {
    const error = document.getElementById("claim-error");
    try {
      await api("training", "POST", "/v1/claims", {
        certificate_number: form.certificate_number.value.trim(), training_district: form.training_district.value,
      }, { key });
      key = newKey();
      form.reset();
      error.textContent = "";
      inform("补贴申请已提交。");
      await loadTraining();
    } catch (e) { error.textContent = e.message; if (e.retryable) notify(e.message, send); }
  };
  form.addEventListener("submit", (event) => { event.preventDefault(); send(); });
}

// ---- 工会 ------------------------------------------------------------------------------------------
let unionNames = {};

function renderMembership(m) {
  const li = el("li", undefined, "card");
  li.append(el("h4", unionNames[m.union_id] || `工会 ${m.union_id}`));
  li.append(el("p", MEMBERSHIP_STATUS[m.status] || m.status, "badge"));
  li.append(fields([["申请日期", day(m.applied_at)], ["入会日期", m.joined_on ? day(m.joined_on) : null], ["说明", m.reason]]));
  if (m.status === "active") {
    li.append(action("退会", async (key) => {
      if (!confirm("确定退出工会吗？")) return null;
      return api("unions", "POST", `/v1/memberships/${m.membership_id}/leave`, {}, { key });
    }, () => loadUnions()));
  }
  return li;
}

function renderUnion(u, platformId, member) {
  const li = el("li", undefined, "card");
  li.append(el("h4", u.name));
  li.append(fields([["覆盖平台", u.platform_ids.map(platformName).join("、")], ["覆盖区县", u.districts.map(district).join("、")]]));
  if (!member) {
    li.append(action("申请入会", (key) => api("unions", "POST", "/v1/memberships", { union_id: u.union_id, platform_id: platformId }, { key }),
      async () => { inform("入会申请已提交，等待工会审核。"); await loadUnions(); }));
  }
  return li;
}

// A collective contract's standards in plain words: they bind my pay and my quotas (劳动合同法 art. 55).
function standardsOf(t) {
  const lines = [];
  for (const r of t.piece_rates || []) lines.push(["最低计件单价", `${occupation(r.occupation)}（${r.order_type}）每单不低于 ${yuan(r.min_rate_fen)}`]);
  for (const q of t.quotas || []) lines.push(["劳动定额", `${occupation(q.occupation)}每日不超过 ${q.max_orders_per_day} 单`]);
  const amount = (fen, unit) => (fen === null || fen === undefined ? null : `${yuan(fen)}／${unit}`);
  lines.push(["恶劣天气补贴", amount(t.bad_weather_allowance_fen_per_day, "天")]);
  lines.push(["夜间补贴", amount(t.night_allowance_fen_per_hour, "小时")]);
  lines.push(["工资年增长", t.pay_growth_percent_per_year === null || t.pay_growth_percent_per_year === undefined ? null : `不低于 ${t.pay_growth_percent_per_year}%`]);
  lines.push(["每日工作时间", t.max_working_hours_per_day ? `不超过 ${t.max_working_hours_per_day} 小时` : null]);
  lines.push(["每月休息", t.rest_days_per_month ? `不少于 ${t.rest_days_per_month} 天` : null]);
  lines.push(["商业保险", t.commercial_insurance], ["其他约定", t.other]);
  return lines;
}

function renderCollective(c) {
  const li = el("li", undefined, "card");
  li.append(el("h4", c.title));
  li.append(fields([
    ["生效日期", c.in_force_on ? day(c.in_force_on) : "尚未生效"],
    ["开始日期", day(c.effective_from)],
    ["结束日期", c.effective_until ? day(c.effective_until) : "长期有效"],
    ["适用职业", c.occupations.length ? c.occupations.map(occupation).join("、") : "全部职业"],
    ...standardsOf(c.terms || {}),
  ]));
  return li;
}

async function loadUnions() {
  if (!contracts.length) await fetchContracts().catch(() => []);
  const platforms = [...new Set(contracts.map((c) => c.platform_id))];
  const [memberships, collective, ...unionLists] = await Promise.all([
    all("unions", "/v1/memberships"), all("unions", "/v1/collective_contracts"),
    ...platforms.map((p) => all("unions", `/v1/unions?platform_id=${encodeURIComponent(p)}`)),
  ]);
  const current = memberships.filter((m) => m.status === "active" || m.status === "applied");
  const member = current.length > 0;
  const joined = new Set(current.map((m) => m.union_id));
  unionLists.flat().forEach((u) => { unionNames[u.union_id] = u.name; });
  await knowPlatforms(unionLists.flat().flatMap((u) => u.platform_ids));
  fill("membership-list", memberships, renderMembership, "您还没有加入工会。");
  const offers = [];
  const seen = new Set();
  unionLists.forEach((list, i) => list.forEach((u) => {
    if (!seen.has(u.union_id) && !joined.has(u.union_id)) { seen.add(u.union_id); offers.push([u, platforms[i]]); }
  }));
  fill("union-list", offers, ([u, p]) => renderUnion(u, p, member), member ? "您已加入工会（一人只能有一个有效会籍）。" : "暂无覆盖您所在平台的工会。");
  fill("collective-list", collective.filter((c) => c.status === "in_force"), renderCollective, "暂无对您适用的生效集体合同。");
}

// ---- 热线与通知 ------------------------------------------------------------------------------------
function renderHelp() {
  fill("hotline-list", config.hotlines || [], (h) => {
    const li = el("li", undefined, "card");
    const call = el("a", `拨打 ${h.number}`, "call");
    call.href = `tel:${h.number}`;
    li.append(el("h4", h.name), call, el("p", `依据：措施 ${h.measure}`, "hint"));
    return li;
  }, "");
  fill("channel-list", config.channels || [], (c) => {
    const li = el("li", undefined, "card");
    li.append(el("h4", c.name), el("p", `依据：措施 ${c.measure}`, "hint"));
    return li;
  }, "");
}

const NOTICE_KIND = {
  job_fair: "招聘会", recruitment_warning: "求职防骗提示", complaint_hotline: "投诉举报电话", insurance_enrolment: "参保登记",
  insurance_lookup: "社保权益查询", schooling: "子女入学", culture_sports: "文化体育",
};

function renderNotice(n) {
  const li = el("li", undefined, "card");
  li.dataset.noticeId = n.id;
  li.append(el("h4", n.title), el("p", NOTICE_KIND[n.kind] || n.kind, "badge"), el("p", n.body, "body"));
  li.append(fields([
    ["联系方式", n.contact],
    ["有效期", `${day(n.valid_from)} 至 ${n.valid_until ? day(n.valid_until) : "长期"}`],
    ["依据", `措施 ${n.measure}`],
  ]));
  return li;
}

async function loadNotices() {
  const notices = await api("departments", "GET", "/v1/notices?limit=100");
  fill("notice-list", notices, renderNotice, "暂无给您的通知。");
}

// ---- 附近的驿站 (M14) -------------------------------------------------------------------------------
const AMENITY = { charging: "充电", drinking_water: "饮水", heating: "取暖", toilet: "卫生间", microwave: "微波炉", ebike_parking: "电动车停放" };
const STATION_REPORT = { closed: "没有开门", full: "人满了", broken: "设施坏了", other: "其他问题" };

// Two taps: 报告问题, then what is wrong; the keeper's alert carries a handling deadline, said back.
function stationReport(st, holder) {
  const box = el("div", undefined, "station-report");
  box.setAttribute("role", "group");
  box.setAttribute("aria-label", `${st.name}遇到的问题`);
  const key = newKey();
  for (const [code, name] of Object.entries(STATION_REPORT)) {
    const b = el("button", name, "secondary");
    b.type = "button";
    const send = async () => {
      for (const other of box.querySelectorAll("button")) other.disabled = true;
      try {
        const r = await api("departments", "POST", `/v1/rest-stations/${st.id}/reports`, { kind: code }, { key });
        holder.replaceChildren(el("p", `已报告“${name}”，驿站管理单位应在 ${day(r.due_at)} 前处理。`, "ok"));
      } catch (e) {
        notify(e.message, e.retryable ? send : null);
        for (const other of box.querySelectorAll("button")) other.disabled = false;
      }
    };
    b.addEventListener("click", send);
    box.append(b);
  }
  return box;
}

function renderStation(st) {
  const li = el("li", undefined, "card");
  li.dataset.stationId = st.id;
  li.append(el("h4", st.name), el("p", st.open_now ? "正在开放" : "现在不开放", st.open_now ? "badge" : "badge closed"));
  const distance = st.distance_m === undefined ? null
    : st.distance_m < 1000 ? `约 ${Math.round(st.distance_m)} 米` : `约 ${(st.distance_m / 1000).toFixed(1)} 公里`;
  li.append(fields([
    ["距离", distance], ["地址", st.address], ["区县", district(st.district)],
    ["设施", (st.amenities || []).map((a) => AMENITY[a] || a).join("、")],
  ]));
  if (st.phone) { const call = el("a", `拨打 ${st.phone}`, "call"); call.href = `tel:${st.phone}`; li.append(call); }
  const holder = el("div");
  const report = el("button", "报告问题", "secondary");
  report.type = "button";
  report.addEventListener("click", () => { holder.replaceChildren(stationReport(st, holder)); });
  holder.append(report);
  li.append(holder);
  return li;
}

function position() {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) { reject(new Error("no geolocation")); return; }
    navigator.geolocation.getCurrentPosition(resolve, reject, { timeout: 10000, maximumAge: 60000 });
  });
}

let here = null;
let stationsAsked = false;

// The near-me query: nearest first, every amenity ticked, open now if asked (the station's own hours).
function stationQuery(coords) {
  const q = new URLSearchParams({ lat: coords.latitude.toFixed(6), lon: coords.longitude.toFixed(6), limit: "10" });
  for (const box of document.querySelectorAll("#station-filters input[name=amenity]:checked")) q.append("amenity", box.value);
  if (document.getElementById("station-open-now").checked) q.set("open_now", "true");
  return q.toString();
}

// Nearest first from where the worker is; without a position (refused, no GPS), the stations of the
// district the worker's contract names.
async function findStations() {
  const status = document.querySelector("#help .station-status");
  status.replaceChildren(el("p", "正在查找…", "loading"));
  try {
    let stations;
    try {
      const { coords } = await position();
      here = coords;
      stations = await api("departments", "GET", `/v1/rest-stations/near?${stationQuery(coords)}`);
      status.replaceChildren();
    } catch (e) {
      if (e instanceof ApiError) throw e;
      if (!contracts.length) await fetchContracts().catch(() => []);
      const where = contracts.length ? contracts[0].district : "";
      stations = await api("departments", "GET", `/v1/rest-stations${where ? `?district=${where}` : ""}`);
      status.replaceChildren(el("p", `未能获取您的位置，以下是${district(where) || "全市"}的驿站。`, "hint"));
    }
    document.getElementById("station-map").replaceChildren(stationMap(stations, here, district));
    fill("station-list", stations, renderStation, "附近暂无符合条件的驿站。");
  } catch (e) {
    const retry = el("button", "重试", "secondary");
    retry.type = "button";
    retry.addEventListener("click", findStations);
    status.replaceChildren(el("p", `无法加载：${e.message}`, "error"), retry);
  }
}

// ---- the shell: tabs, sign-in state ---------------------------------------------------------------
const LOADERS = { contracts: loadContracts, wages: loadWages, disputes: loadDisputes, training: loadTraining, unions: loadUnions, help: loadNotices };

function show(tab) {
  if (!LOADERS[tab]) tab = "contracts";
  document.getElementById("notice").hidden = true;
  for (const b of document.querySelectorAll("#tabs button")) {
    const on = b.dataset.tab === tab;
    b.setAttribute("aria-current", on ? "page" : "false");
  }
  for (const name of Object.keys(LOADERS)) document.getElementById(name).hidden = name !== tab;
  if (location.hash !== `#${tab}`) history.replaceState(null, "", `#${tab}`);
  load(tab, LOADERS[tab]);
}

function showSignedOut(message) {
  Auth.forget();
  document.getElementById("tabs").hidden = true;
  document.getElementById("signout").hidden = true;
  for (const name of Object.keys(LOADERS)) document.getElementById(name).hidden = name !== "help";
  document.getElementById("signin").hidden = false;
  fill("notice-list", [], null, "登录后可查看给您的通知。");
  document.getElementById("stations-find").hidden = true;
  document.querySelector("#help .station-status").replaceChildren(el("p", "登录后可查找附近驿站。", "hint"));
  const button = document.getElementById("signin-button");
  const hint = document.getElementById("signin-hint");
  if (Auth.configured()) {
    button.hidden = false;
    if (message) hint.textContent = message;
  } else {
    button.hidden = true;
    hint.textContent = "本环境未配置统一身份认证登录，暂时无法登录。如需帮助，请拨打 12333。";
  }
}

function showSignedIn() {
  document.getElementById("signin").hidden = true;
  document.getElementById("stations-find").hidden = false;
  document.querySelector("#help .station-status").replaceChildren();
  document.getElementById("tabs").hidden = false;
  document.getElementById("signout").hidden = false;
  const tab = location.hash.replace("#", "").split("-")[0];
  show(tab === "case" ? "disputes" : tab);
}

async function loadConfig() {
  let response;
  try {
    response = await fetch("/app/config.json", { headers: { Accept: "application/json" } });
  } catch (e) {
    throw new ApiError("网络连接失败，请检查网络后重试。", 0, true);
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError((data && data.detail) || "无法读取应用配置，请稍后重试。", response.status, true);
  return data;
}

async function start() {
  try {
    config = await loadConfig();
  } catch (e) {
    notify(e.message, start);
    return;
  }
  document.getElementById("notice").hidden = true;
  names = config.names || names;
  loadProblemTitles();
  fillDistricts();
  Auth.start(config);
  renderHelp();
  try {
    if (Auth.configured()) await Auth.completeRedirect();
  } catch (e) {
    showSignedOut(e.message);
    return;
  }
  if (Auth.signedIn()) showSignedIn(); else showSignedOut();
}

document.addEventListener("DOMContentLoaded", () => {
  for (const b of document.querySelectorAll("#tabs button")) b.addEventListener("click", () => show(b.dataset.tab));
  document.getElementById("signin-button").addEventListener("click", () => Auth.signIn());
  document.getElementById("signout").addEventListener("click", () => Auth.signOut());
  document.getElementById("hours-form").addEventListener("submit", (event) => {
    event.preventDefault();
    loadHours().catch((e) => notify(e.message, e.retryable ? loadHours : null));
  });
  setupComplaintForm();
  setupClaimForm();
  document.getElementById("stations-find").addEventListener("click", () => { stationsAsked = true; findStations(); });
  document.getElementById("station-filters").addEventListener("change", () => { if (stationsAsked) findStations(); });
  start();
});
