import type { IssuerSnapshot } from "@authpi/server";

/**
 * The hosted pages of an issuer: server-rendered HTML forms that work without JavaScript,
 * branded from `settings.branding`. Every value is escaped; nothing secret is ever rendered.
 */

export function escapeHtml(value: unknown): string {
  return String(value ?? "")
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

const COLOR = /^#[0-9a-fA-F]{6}$/;

export function layout(issuer: IssuerSnapshot, title: string, body: string): string {
  const branding = issuer.settings.branding;
  const displayName = branding.display_name ?? issuer.name;
  const color = branding.primary_color && COLOR.test(branding.primary_color) ? branding.primary_color : "#2f54eb";
  const logo = branding.logo_url
    ? `<img class="logo" src="${escapeHtml(branding.logo_url)}" alt="${escapeHtml(displayName)}">`
    : "";
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)} · ${escapeHtml(displayName)}</title>
<style>
:root{--primary:${color}}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f5f6f8;color:#1f2328}
main{max-width:24rem;margin:4rem auto;padding:2rem;background:#fff;border-radius:.75rem;box-shadow:0 1px 3px rgba(0,0,0,.12)}
.logo{display:block;max-height:3rem;margin:0 auto 1rem}
h1{font-size:1.4rem;margin:0 0 1rem;text-align:center}
.brand{text-align:center;color:#57606a;margin:0 0 1.5rem}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}
input{width:100%;padding:.6rem .7rem;font:inherit;border:1px solid #d0d7de;border-radius:.4rem}
input:focus,button:focus,a:focus{outline:3px solid var(--primary);outline-offset:2px}
button{width:100%;margin-top:1.25rem;padding:.7rem;font:inherit;font-weight:600;color:#fff;background:var(--primary);border:0;border-radius:.4rem;cursor:pointer}
.error{padding:.6rem .8rem;background:#ffebe9;border:1px solid #ff8182;border-radius:.4rem;color:#82071e}
.notice{padding:.6rem .8rem;background:#ddf4ff;border:1px solid #54aeff;border-radius:.4rem}
.alt{margin-top:1.25rem;text-align:center}
.or{margin:1.25rem 0 .5rem;text-align:center;color:#57606a}
.secondary{color:var(--primary);background:#fff;border:1px solid var(--primary)}
code,pre{font:14px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace;word-break:break-all;white-space:pre-wrap}
a{color:var(--primary)}
</style>
</head>
<body>
<main>
${logo}<p class="brand">${escapeHtml(displayName)}</p>
${body}
</main>
</body>
</html>`;
}

export function errorPage(issuer: IssuerSnapshot | null, error: string, description: string): string {
  const body = `<h1>Something went wrong</h1>
<p class="error" role="alert"><strong>${escapeHtml(error)}</strong>: ${escapeHtml(description)}</p>`;
  if (issuer) return layout(issuer, "Error", body);
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Error</title></head><body><main>${body}</main></body></html>`;
}

export function logoutPage(issuer: IssuerSnapshot, form: string): string {
  return layout(
    issuer,
    "Sign out",
    `<h1>Sign out?</h1>
${form}
<button type="submit" form="op.logoutForm" value="yes" name="logout" autofocus>Yes, sign me out</button>
<button type="submit" form="op.logoutForm">No, stay signed in</button>`,
  );
}

export function loggedOutPage(issuer: IssuerSnapshot): string {
  return layout(issuer, "Signed out", `<h1>You are signed out</h1>`);
}

/** The provider's own pages (its error page, RP-initiated logout), in the issuer's branding. */
export const providerPages = {
  renderError(ctx: { type: string; body: unknown }, out: Record<string, string>, issuer: IssuerSnapshot) {
    ctx.type = "html";
    ctx.body = errorPage(issuer, out.error ?? "server_error", out.error_description ?? "");
  },
  renderLogout(ctx: { type: string; body: unknown }, form: string, issuer: IssuerSnapshot) {
    ctx.type = "html";
    ctx.body = logoutPage(issuer, form);
  },
  renderLoggedOut(ctx: { type: string; body: unknown }, issuer: IssuerSnapshot) {
    ctx.type = "html";
    ctx.body = loggedOutPage(issuer);
  },
};
