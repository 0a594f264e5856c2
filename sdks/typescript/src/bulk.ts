// Bulk uploads to the wages service: pay statements and work sessions as CSV or JSON lines.
//
// Hand-written because generators drop them: `POST /v1/statements/batches` and `/v1/sessions/batches`
// take a raw `text/csv` or `application/x-ndjson` body (up to 10,000 lines), which the generated
// client sends as `application/json` only.
//
//   const batch = await uploadStatements(csvText, { baseUrl: "http://127.0.0.1:8002", token });
//   const batch = await uploadSessions([{ line_id: "s-1", ... }], { baseUrl, token });  // → JSON lines
//   for (const e of batch.errors) console.log(e.line, e.field, e.message);            // each bad line
//
// A request refused as a whole (401, 413 over 10,000 lines, 415, 422 …) throws `BulkUploadError`
// carrying the RFC 9457 problem. Re-sending a line already stored (same `line_id`) is a duplicate,
// never a second record; the same `idempotencyKey` replays the first answer.

export type BulkFormat = "csv" | "jsonl";

export const CONTENT_TYPES: Record<BulkFormat, string> = {
  csv: "text/csv; charset=utf-8",
  jsonl: "application/x-ndjson",
};

/** The service's limit per upload (more is refused with 413). */
export const MAX_LINES = 10_000;

export interface BulkOptions {
  baseUrl: string;
  /** A platform's bearer token. */
  token: string;
  /** Guessed for text (a first line starting with `{` is JSON lines); records are always JSON lines. */
  format?: BulkFormat;
  idempotencyKey?: string;
  requestId?: string;
  fetch?: typeof fetch;
}

export interface BatchLineError {
  line: number;
  line_id?: string | null;
  field?: string | null;
  message: string;
  measure?: string | null;
  rule?: string | null;
  type?: string;
}

export interface Batch {
  batch_id: string;
  platform_id: string;
  kind: "statements" | "sessions";
  format: "jsonl" | "csv" | "json";
  status: "processing" | "completed";
  line_count: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  pending: number;
  findings: number;
  errors: BatchLineError[];
  created_at: string;
  completed_at: string | null;
}

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string | null;
  [key: string]: unknown;
}

export class BulkUploadError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(`${status} ${problem.title ?? ""}: ${problem.detail ?? problem.type ?? ""}`);
  }
}

export type BulkLines = string | Uint8Array | Iterable<Record<string, unknown>>;

export function encodeLines(lines: BulkLines, format?: BulkFormat): { body: string | Uint8Array; contentType: string } {
  if (typeof lines === "string" || lines instanceof Uint8Array) {
    const text = typeof lines === "string" ? lines : new TextDecoder().decode(lines.subarray(0, 64));
    const guessed: BulkFormat = text.replace(/^\uFEFF/, "").trimStart().startsWith("{") ? "jsonl" : "csv";
    return { body: lines, contentType: CONTENT_TYPES[format ?? guessed] };
  }
  if (format && format !== "jsonl") throw new TypeError("records are sent as JSON lines; pass text for CSV");
  let body = "";
  for (const record of lines) body += JSON.stringify(record) + "\n";
  return { body, contentType: CONTENT_TYPES.jsonl };
}

async function answer(response: Response): Promise<Batch> {
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = { status: response.status, title: response.statusText, detail: text.slice(0, 500) };
  }
  if (response.status === 200 || response.status === 201) return parsed as Batch;
  throw new BulkUploadError(response.status, parsed as Problem);
}

function headers(options: BulkOptions, contentType?: string): Record<string, string> {
  const out: Record<string, string> = { Authorization: `Bearer ${options.token}`, Accept: "application/json" };
  if (contentType) out["Content-Type"] = contentType;
  if (options.idempotencyKey) out["Idempotency-Key"] = options.idempotencyKey;
  if (options.requestId) out["X-Request-ID"] = options.requestId;
  return out;
}

async function upload(path: string, lines: BulkLines, options: BulkOptions): Promise<Batch> {
  const { body, contentType } = encodeLines(lines, options.format);
  const send = options.fetch ?? fetch;
  return answer(await send(new URL(path, options.baseUrl), {
    method: "POST", body: body as BodyInit, headers: headers(options, contentType),
  }));
}

/** Upload pay statements (`StatementIn` per line): the batch's counts and per-line errors. */
export function uploadStatements(lines: BulkLines, options: BulkOptions): Promise<Batch> {
  return upload("/v1/statements/batches", lines, options);
}

/** Upload work sessions (`SessionIn` per line): the batch's counts and per-line errors. */
export function uploadSessions(lines: BulkLines, options: BulkOptions): Promise<Batch> {
  return upload("/v1/sessions/batches", lines, options);
}

/** A batch again, by id. */
export async function getBatch(batchId: string, options: Omit<BulkOptions, "format">): Promise<Batch> {
  const send = options.fetch ?? fetch;
  return answer(await send(new URL(`/v1/batches/${encodeURIComponent(batchId)}`, options.baseUrl),
    { headers: headers(options) }));
}
