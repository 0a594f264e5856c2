// Verify newform webhooks (Standard Webhooks signatures) and refuse replays; Node's crypto only.
//
//   const verifier = new WebhookVerifier(["whsec_…"]);          // during a rotation: [new, old]
//   const payload = verifier.verify(rawBody, request.headers);  // throws WebhookVerificationError
//   // … DuplicateDelivery: answer 2xx and do nothing; other WebhookVerificationError: answer 400
//
// A request passes when one of its `v1,` signatures is the HMAC-SHA256 of `<id>.<timestamp>.<raw body>`
// under one of your secrets, its `webhook-timestamp` is within `toleranceS` of now (5 minutes) and its
// `webhook-id` was not accepted before within that window. Several receiver instances pass a shared
// `seen` store (e.g. an insert into a table with a unique key, false on conflict).
// `verify(payload, headers)` takes the Standard Webhooks reference library's order
// (`new Webhook(secret).verify(payload, headers)`); the earlier `verify(headers, body)` still works, with a
// deprecation warning. A payload-version-2 subscription receives `{type, timestamp, data}`.
import { createHmac, timingSafeEqual } from "node:crypto";

const SECRET_PREFIX = "whsec_";

export class WebhookVerificationError extends Error {}

/** Authentic, but already accepted: a retry after a lost answer, or a replay. Answer 2xx, do nothing. */
export class DuplicateDelivery extends WebhookVerificationError {}

function key(secret: string): Buffer {
  return secret.startsWith(SECRET_PREFIX)
    ? Buffer.from(secret.slice(SECRET_PREFIX.length), "base64")
    : Buffer.from(secret, "utf8");
}

/** The `v1,<base64>` signature the gateway sends. */
export function sign(secret: string, messageId: string, timestamp: number, body: Buffer | string): string {
  const mac = createHmac("sha256", key(secret));
  mac.update(`${messageId}.${timestamp}.`);
  mac.update(body);
  return "v1," + mac.digest("base64");
}

export type ReplayStore = (messageId: string, expiresAt: number) => boolean;

export function memoryReplayStore(): ReplayStore {
  const seen = new Map<string, number>();
  return (messageId, expiresAt) => {
    const now = Date.now() / 1000;
    for (const [id, until] of seen) if (until <= now) seen.delete(id);
    if (seen.has(messageId)) return false;
    seen.set(messageId, expiresAt);
    return true;
  };
}

type Headers = Record<string, string | string[] | undefined> | { get(name: string): string | null };

function header(headers: Headers, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === "function") {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const record = headers as Record<string, string | string[] | undefined>;
  const found = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = found === undefined ? undefined : record[found];
  return Array.isArray(value) ? value[0] : value;
}

let deprecationWarned = false;

export class WebhookVerifier {
  private readonly secrets: string[];

  constructor(
    secrets: string | string[],
    private readonly options: { toleranceS?: number; seen?: ReplayStore; now?: () => number } = {},
  ) {
    this.secrets = Array.isArray(secrets) ? secrets : [secrets];
    if (this.secrets.length === 0) throw new Error("at least one secret is needed");
    this.options.seen ??= memoryReplayStore();
  }

  /** The JSON payload of an authentic, fresh, first-seen delivery; throws otherwise. */
  verify(payload: Buffer | string, headers: Headers): unknown;
  /** @deprecated the earlier order: call `verify(payload, headers)` (the Standard Webhooks libraries' order). */
  verify(headers: Headers, payload: Buffer | string): unknown;
  verify(first: Buffer | string | Headers, second: Headers | Buffer | string): unknown {
    let body: Buffer | string;
    let headers: Headers;
    if (typeof first !== "string" && !Buffer.isBuffer(first)) {
      if (!deprecationWarned) {
        deprecationWarned = true;
        process.emitWarning("WebhookVerifier.verify(headers, body) is deprecated: call verify(body, headers)",
          "DeprecationWarning");
      }
      headers = first;
      body = second as Buffer | string;
    } else {
      body = first;
      headers = second as Headers;
    }
    const id = header(headers, "webhook-id");
    const timestamp = Number(header(headers, "webhook-timestamp"));
    const signatures = (header(headers, "webhook-signature") ?? "").split(" ").filter((s) => s.startsWith("v1,"));
    if (!id || !Number.isInteger(timestamp) || signatures.length === 0) {
      throw new WebhookVerificationError("missing or malformed webhook-id/-timestamp/-signature headers");
    }
    const tolerance = this.options.toleranceS ?? 300;
    const now = this.options.now ? this.options.now() : Date.now() / 1000;
    if (Math.abs(now - timestamp) > tolerance) {
      throw new WebhookVerificationError("webhook-timestamp is outside the tolerance (a replay or a wrong clock)");
    }
    const matches = this.secrets.some((secret) => {
      const expected = Buffer.from(sign(secret, id, timestamp, body));
      return signatures.some((s) => {
        const offered = Buffer.from(s);
        return offered.length === expected.length && timingSafeEqual(offered, expected);
      });
    });
    if (!matches) throw new WebhookVerificationError("no signature matches any of the configured secrets");
    if (!this.options.seen!(id, timestamp + tolerance)) {
      throw new DuplicateDelivery(`webhook-id ${id} was already received (a retry or a replay)`);
    }
    return JSON.parse(body.toString());
  }
}
