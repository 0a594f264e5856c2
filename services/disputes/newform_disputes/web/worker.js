// The workers' page: files complaints, follows them and their cases, accepts or escalates.
// Text is always set with textContent (never HTML), so nothing a platform writes can run here.
"use strict";

const TOKEN_KEY = "newform.worker.token";
const STATUS = { awaiting_reply: "待平台答复", answered: "平台已答复", resolved: "已办结" };
const RESOLUTION = { accepted: "已接受答复", mediation: "已申请调解", department: "已向主管部门反映" };
const STAGE = {
  received: "已申请，待受理", mediating: "调解中", agreement: "已达成调解协议", fulfilled: "协议已履行",
  no_agreement: "调解未成，可申请仲裁或起诉", withdrawn: "已撤回，可申请仲裁或起诉", arbitration_requested: "已申请仲裁",
  arbitration_refused: "仲裁委不予受理，可向法院起诉", arbitration_accepted: "仲裁审理中", awarded: "已裁决",
  settled: "仲裁调解结案", court_referred: "已转法院", judged: "法院已判决",
};
const CLOCK = {
  "disputes.complaint_reply": "平台答复期限", "disputes.mediation_acceptance": "调解受理期限",
  "disputes.mediation_limit": "调解期限", "disputes.mediator_reassignment": "另行指派调解员期限",
  "disputes.agreement_fulfilment": "协议履行期限", "disputes.arbitration_acceptance": "仲裁受理期限",
  "disputes.arbitration_award": "仲裁裁决期限",
};
let categories = {};

function token() { return sessionStorage.getItem(TOKEN_KEY); }

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: { "Authorization": `Bearer ${token()}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = response.status === 204 ? null : await response.json();
  if (!response.ok) {
    const error = new Error(data && (data.detail || data.title) || `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return data;
}

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function clockLines(clocks) {
  const lines = [];
  for (const c of clocks) {
    if (c.status !== "pending" && c.status !== "paused") continue;
    const left = c.days_left < 0 ? "已超期" : `剩余 ${c.days_left} 天`;
    const paused = c.status === "paused" ? "（已中止计时）" : "";
    lines.push(el("p", `${CLOCK[c.kind] || c.kind}：${c.last_day}（${left}）${paused}`,
                  c.days_left < 0 ? "overdue" : "due"));
  }
  return lines;
}

function button(label, className, action) {
  const b = el("button", label, className);
  b.type = "button";
  b.addEventListener("click", async () => {
    b.disabled = true;
    try { await action(); await refresh(); } catch (e) { alert(e.message); b.disabled = false; }
  });
  return b;
}

function renderComplaint(c) {
  const li = el("li");
  li.dataset.complaintId = c.complaint_id;
  li.append(el("p", `${categories[c.category] || c.category} · 平台 ${c.platform_id}`, "title"));
  li.append(el("p", STATUS[c.status] + (c.resolution ? `（${RESOLUTION[c.resolution]}）` : ""), "status"));
  li.append(el("p", c.description));
  li.append(el("p", `提交于 ${c.filed_at.slice(0, 10)}，答复期限 ${c.reply_due_on}`, "meta"));
  li.append(...clockLines(c.clocks));
  if (c.reply_overdue) li.append(el("p", "平台未在期限内答复，已记录并报送主管部门。", "overdue"));
  if (c.answer) li.append(el("p", `平台答复：${c.answer}`, "answer"));
  if (c.status === "answered") {
    li.append(button("接受答复", "accept", () => api("POST", `/v1/complaints/${c.complaint_id}/acceptance`)));
  }
  if (c.status !== "resolved") {
    li.append(button("申请调解", "secondary escalate-mediation",
                     () => api("POST", `/v1/complaints/${c.complaint_id}/escalation`, { to: "mediation" })));
    li.append(button("向主管部门反映", "secondary escalate-department",
                     () => api("POST", `/v1/complaints/${c.complaint_id}/escalation`, { to: "department" })));
  }
  return li;
}

function renderCase(c) {
  const li = el("li");
  li.dataset.caseId = c.case_id;
  const track = c.track === "labour_arbitration" ? "劳动争议仲裁" : "人民调解／法院";
  li.append(el("p", `${categories[c.category] || c.category} · 平台 ${c.platform_id} · ${track}`, "title"));
  li.append(el("p", STAGE[c.stage] || c.stage, "status"));
  if (c.claims_total_fen) li.append(el("p", `请求金额：${(c.claims_total_fen / 100).toFixed(2)} 元`, "meta"));
  li.append(...clockLines(c.clocks));
  if (c.agreement_terms) li.append(el("p", `调解协议：${c.agreement_terms}（履行期限 ${c.fulfil_by}）`));
  if (c.award_final !== null) li.append(el("p", c.award_final ? "本裁决为终局裁决。" : "本裁决为非终局裁决。", "meta"));
  if (c.stage === "received" || c.stage === "mediating") {
    li.append(button("撤回申请", "secondary withdraw", () => {
      if (!confirm("确定撤回这个案件吗？")) throw new Error("已取消");
      return api("POST", `/v1/cases/${c.case_id}/withdrawal`);
    }));
  }
  if (c.eligible_for_arbitration && (c.track === "labour_arbitration" || c.misclassification_question)) {
    const form = el("form", undefined, "arbitration");
    const label = el("label", "知道权利被侵害的日期");
    const knew = el("input");
    knew.type = "date";
    knew.name = "knew_of_breach_on";
    knew.required = true;
    label.append(knew);
    const submit = el("button", "申请劳动仲裁", "apply-arbitration");
    submit.type = "submit";
    form.append(label, submit);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      submit.disabled = true;
      try {
        await api("POST", `/v1/cases/${c.case_id}/arbitration`, { knew_of_breach_on: knew.value });
        await refresh();
      } catch (e) { alert(e.message); submit.disabled = false; }
    });
    li.append(form);
  } else if (c.eligible_for_arbitration) {
    li.append(button("向法院起诉", "secondary court", () => api("POST", `/v1/cases/${c.case_id}/court-referral`)));
  }
  if (c.limitation_expired) li.append(el("p", `仲裁时效已于 ${c.limitation_ends_on} 届满，仲裁委将审查是否受理。`, "overdue"));
  if (c.legal_aid_requested_at === null) {
    li.append(button("申请法律援助", "secondary legal-aid", () => api("POST", `/v1/cases/${c.case_id}/legal-aid`)));
  } else {
    li.append(el("p", "已申请法律援助，司法局将联系您。", "meta"));
  }
  return li;
}

function fill(list, items, render, empty) {
  list.replaceChildren(...(items.length ? items.map(render) : [el("li", empty, "empty")]));
}

async function refresh() {
  const [complaints, cases] = await Promise.all([api("GET", "/v1/complaints?limit=100"), api("GET", "/v1/cases?limit=100")]);
  fill(document.getElementById("complaints"), complaints.items.reverse(), renderComplaint, "暂无投诉");
  fill(document.getElementById("cases"), cases.items.reverse(), renderCase, "暂无案件");
}

async function start() {
  try {
    categories = await api("GET", "/v1/categories");
  } catch (e) {
    sessionStorage.removeItem(TOKEN_KEY);
    document.getElementById("signin-error").textContent = e.status === 401 ? "令牌无效或已过期，请重新登录。" : e.message;
    return;
  }
  const select = document.querySelector("select[name=category]");
  select.replaceChildren(...Object.entries(categories).map(([code, name]) => {
    const option = el("option", name);
    option.value = code;
    return option;
  }));
  document.getElementById("signin").hidden = true;
  document.getElementById("app").hidden = false;
  document.getElementById("signout").hidden = false;
  await refresh();
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("signin-submit").addEventListener("click", () => {
    sessionStorage.setItem(TOKEN_KEY, document.getElementById("token").value.trim());
    start();
  });
  document.getElementById("signout").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    location.reload();
  });
  document.getElementById("complaint-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const error = document.getElementById("complaint-error");
    const body = {
      category: form.category.value, description: form.description.value.trim(),
      mask_identity: form.mask_identity.checked,
      attachments: form.attachments.value.split("\n").map((s) => s.trim()).filter(Boolean),
    };
    if (form.contract_id.value.trim()) body.contract_id = form.contract_id.value.trim();
    if (form.platform_id.value.trim()) body.platform_id = form.platform_id.value.trim();
    try {
      await api("POST", "/v1/complaints", body);
      form.reset();
      error.textContent = "";
      await refresh();
    } catch (e) {
      error.textContent = e.status === 404 ? "未找到您的这份合同。" : e.message;
    }
  });
  if (token()) start();
});
