import nodemailer from "nodemailer";
import { writeToOutbox } from "./outbox.ts";

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

/** Delivers the hosted pages' mail (verification codes). */
export interface Mailer {
  send(mail: Mail): Promise<void>;
  /** "smtp" when a real transport is configured, else "outbox". */
  readonly transport: "smtp" | "outbox";
  close(): void;
}

export interface MailerOptions {
  /** `SMTP_URL`; without it mail goes to the log and `outboxDir`. */
  smtpUrl?: string | undefined;
  from: string;
  /** `<AUTHPI_DATA_DIR>/outbox`. */
  outboxDir: string;
  /** Without SMTP the whole mail (code included) is logged so a developer can read it; with SMTP, never. */
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

/**
 * Email over SMTP with nodemailer when `SMTP_URL` is set. Without it (and on the embedded default)
 * each mail is written to the log and as a file into the outbox folder.
 */
export function createMailer(options: MailerOptions): Mailer {
  if (options.smtpUrl) {
    const transport = nodemailer.createTransport(options.smtpUrl);
    return {
      transport: "smtp",
      async send(mail) {
        await transport.sendMail({ from: options.from, to: mail.to, subject: mail.subject, text: mail.text });
      },
      close: () => transport.close(),
    };
  }
  return {
    transport: "outbox",
    async send(mail) {
      const file = await writeToOutbox(
        options.outboxDir,
        mail.to,
        `From: ${options.from}\nTo: ${mail.to}\nSubject: ${mail.subject}\n\n${mail.text}\n`,
      );
      options.log?.(`mail to ${mail.to} written to ${file} (no SMTP_URL)`, { subject: mail.subject, text: mail.text });
    },
    close: () => {},
  };
}
