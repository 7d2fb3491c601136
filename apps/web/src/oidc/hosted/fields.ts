import { escapeHtml } from "../pages.ts";
import type { StepContext } from "./context.ts";

/** Pieces every hosted form shares. */

export const csrfField = (ctx: Pick<StepContext, "csrf">) =>
  `<input type="hidden" name="csrf" value="${escapeHtml(ctx.csrf)}">`;

export const alert = (page: { error?: string | undefined; notice?: string | undefined }) =>
  (page.error ? `<p class="error" role="alert">${escapeHtml(page.error)}</p>\n` : "") +
  (page.notice ? `<p class="notice" role="status">${escapeHtml(page.notice)}</p>\n` : "");

/** The one-time code field every code step uses (labelled "Code", api-contract §8). */
export const codeField = (options: { length?: number; autofocus?: boolean; numeric?: boolean } = {}) =>
  `<label for="code">Code</label>
<input id="code" name="code" type="text"${options.numeric === false ? "" : ' inputmode="numeric"'} autocomplete="one-time-code" required${
    options.length ? ` minlength="${options.length}" maxlength="${options.length}"` : ""
  }${options.autofocus === false ? "" : " autofocus"}>`;
