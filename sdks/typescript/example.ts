// The integrator's round trip with the generated SDK: a platform is registered, registers a worker,
// drafts a contract that calls a labour relation a civil one, and both sides sign; the regulator then
// reads the alert the gateway raised about it (M1.misclassification).
//
//   NEWFORM_REGULATOR_TOKEN=… NEWFORM_PLATFORM_TOKEN=… npm --prefix sdks/typescript run example
//
// Tokens: the two `make run` prints (the platform token is for `demo-platform`), or from the gateway's
// POST /oauth/token. The worker signs with their own token (in production from the worker's app); here
// NEWFORM_WORKER_TOKEN_COMMAND mints one, by default with the development CLI. URLs default to `make run`'s.
import { execSync } from "node:child_process";
import { randomInt, randomUUID } from "node:crypto";

import * as contracts from "./src/contracts";
import { createClient as createContractsClient } from "./src/contracts/client";
import * as gateway from "./src/gateway";
import { createClient as createGatewayClient } from "./src/gateway/client";

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`set ${name}`);
  return value;
};
const CONTRACTS = env("NEWFORM_CONTRACTS_URL", "http://127.0.0.1:8001");
const GATEWAY = env("NEWFORM_GATEWAY_URL", "http://127.0.0.1:8000");
const PLATFORM = env("NEWFORM_PLATFORM_ID", "demo-platform");
// `npm --prefix sdks/typescript run example` runs here, two folders below the checkout's .venv.
const WORKER_TOKEN_COMMAND = env("NEWFORM_WORKER_TOKEN_COMMAND",
                                 "../../.venv/bin/newform token --role worker --id-number {id_number}");
const LABOUR_FACTS = {
  enterprise_sets_rules_and_discipline: true, enterprise_controls_schedule: true, enterprise_sets_pay: true,
  work_is_core_business: true, worker_may_refuse_orders: false, worker_bears_profit_and_loss: false,
  worker_works_elsewhere: false,
};

/** A valid (made-up) resident ID number: region, birth date, sequence, GB 11643 check digit. */
function residentId(): string {
  const body = `630102${randomInt(1970, 2001)}0${randomInt(1, 10)}1${randomInt(0, 9)}${randomInt(100, 1000)}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body].reduce((total, c, i) => total + Number(c) * weights[i], 0);
  return body + "10X98765432"[sum % 11];
}

/** A valid (made-up) unified social credit code (GB 32100 check character). */
function creditCode(): string {
  const charset = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  const body = "91630100" + Array.from({ length: 9 }, () => charset[randomInt(0, 31)]).join("");
  const weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
  const sum = [...body].reduce((total, c, i) => total + charset.indexOf(c) * weights[i], 0);
  return body + charset[(31 - (sum % 31)) % 31];
}

type Result<T> = { data?: T; error?: unknown; response?: Response };

/** The typed data, or the typed problem+json as an error. A request that got no answer at all (a
 *  dropped connection) is sent again: safe, since every creating request carries an Idempotency-Key. */
async function ok<T>(request: () => Promise<Result<T>>, also: number[] = []): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const result = await request();
    const status = result.response?.status;
    if (status === undefined && attempt < 3) continue;
    if (result.error !== undefined && !also.includes(status ?? 0)) {
      const error = result.error as contracts.ProblemDetail | Error;
      throw new Error(`HTTP ${status ?? "(no answer)"}: ${"title" in error ? error.detail ?? error.title : String(error)}`);
    }
    return result.data as T;
  }
}

async function main(): Promise<void> {
  const regulator = createContractsClient({ baseUrl: CONTRACTS, auth: env("NEWFORM_REGULATOR_TOKEN") });
  const platform = createContractsClient({ baseUrl: CONTRACTS, auth: env("NEWFORM_PLATFORM_TOKEN") });
  const idempotent = () => ({ "Idempotency-Key": randomUUID() });

  // 1. The regulator registers the platform (409: it already is, e.g. `make run`'s demo platform).
  await ok(() => contracts.registerPlatform({
    client: regulator, headers: { "Idempotency-Key": `platform-${PLATFORM}` },
    body: { platform_id: PLATFORM, name: "示例平台", credit_code: creditCode(), district: "chengzhong",
            occupations: ["food_delivery"] },
  }), [409]);

  // 2. The platform registers a worker; a retry with the same Idempotency-Key creates nothing twice.
  const idNumber = residentId();
  const workerKey = idempotent();  // computed once: a retry sends the same key
  const worker = await ok(() => contracts.registerWorker({
    client: platform, headers: workerKey,
    body: { name: "张三", id_number: idNumber, phone: `138${String(randomInt(0, 1e8)).padStart(8, "0")}`,
            occupation: "food_delivery", residence_district: "chengdong" },
  }));

  // 3. A contract that calls a labour relation a civil one: accepted, and raised as a finding (M1).
  const draftKey = idempotent();
  const contract = await ok(() => contracts.draftContract({
    client: platform, headers: draftKey,
    body: {
      registration_id: worker.registration_id, enterprise_id: PLATFORM, engagement_type: "civil",
      start_date: new Date().toISOString().slice(0, 10), engagement_facts: LABOUR_FACTS,
      document_text: "民事协议：乙方为甲方提供配送服务。",
      terms: { pay_basis: "monthly_salary", pay_period: "month", pay_day: "每月10日", base_pay_fen: 450000,
               hours_arrangement: "standard", rest_rules: "每周休息一日",
               insurance: { work_injury: true, occupational_injury: false, accident: true } },
    },
  }));
  await ok(() => contracts.sendContract({ client: platform, path: { contract_id: contract.contract_id }, body: {} }));
  const workerToken = execSync(WORKER_TOKEN_COMMAND.replace("{id_number}", idNumber)).toString().trim();
  const asWorker = createContractsClient({ baseUrl: CONTRACTS, auth: workerToken });
  for (const [signer, client] of [["worker", asWorker], ["enterprise", platform]] as const) {
    const headers = idempotent();
    await ok(() => contracts.signContract({
      client, headers, path: { contract_id: contract.contract_id },
      body: { signer, intent: "本人已阅读并同意，自愿签署。" },
    }));
  }
  console.log(`contract ${contract.contract_id} signed for worker ${worker.worker_id}`);

  // 4. The regulator reads the alert the gateway raised from the finding.
  const oversight = createGatewayClient({ baseUrl: GATEWAY, auth: env("NEWFORM_REGULATOR_TOKEN") });
  for (let attempt = 0; attempt < 120; attempt++) {
    const page = await ok(() => gateway.listAlerts({ client: oversight, query: { platform_id: PLATFORM } }));
    const alert = page.items.find((a) => a.subject_id === contract.contract_id);
    if (alert) {
      console.log(`alert ${alert.alert_id}: ${alert.rule} (${alert.severity}) → ${alert.departments.join(", ")}`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error("no alert arrived at the gateway within a minute");
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
