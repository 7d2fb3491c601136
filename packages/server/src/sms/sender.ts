import { writeToOutbox } from "../mail/outbox.ts";

export interface Sms {
  /** E.164. */
  to: string;
  body: string;
}

/** Delivers the hosted pages' text messages (sign-in codes). */
export interface SmsSender {
  send(sms: Sms): Promise<void>;
  /** "webhook" when `SMS_WEBHOOK_URL` is configured, else "outbox". */
  readonly transport: "webhook" | "outbox";
}

export interface SmsSenderOptions {
  /** `SMS_WEBHOOK_URL`; without it messages go to the log and `outboxDir`. */
  webhookUrl?: string | undefined;
  /** `<AUTHPI_DATA_DIR>/outbox`, shared with the mailer. */
  outboxDir: string;
  /** Without a webhook the whole message (code included) is logged for a developer; with one, never. */
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

/** A webhook that does not answer within this long fails the delivery (the page does not hang on it). */
const WEBHOOK_TIMEOUT_MS = 5_000;

/**
 * SMS through an HTTP webhook (a JSON POST of `{"to": "+…", "body": "…"}`, any 2xx accepted) when
 * `SMS_WEBHOOK_URL` is set; without it, like mail without SMTP, to the log and the outbox folder.
 * The error of a failed delivery names the status only, never the message.
 */
export function createSmsSender(options: SmsSenderOptions): SmsSender {
  const { webhookUrl } = options;
  if (webhookUrl) {
    return {
      transport: "webhook",
      async send(sms) {
        const response = await fetch(webhookUrl, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ to: sms.to, body: sms.body }),
          signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
          redirect: "error",
        });
        await response.body?.cancel();
        if (!response.ok) throw new Error(`SMS webhook answered ${response.status}`);
      },
    };
  }
  return {
    transport: "outbox",
    async send(sms) {
      const file = await writeToOutbox(options.outboxDir, sms.to, `To: ${sms.to}\n\n${sms.body}\n`);
      options.log?.(`SMS to ${sms.to} written to ${file} (no SMS_WEBHOOK_URL)`, { body: sms.body });
    },
  };
}
