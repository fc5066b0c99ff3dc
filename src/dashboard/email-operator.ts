// The email page's operator tools, each the route its `steward email` command shares a function
// with: send one email (send), send every due job now (drain), check SMTP (verify-smtp).
import { type Context, errorText } from "./context.js";
import { button, field, h, section } from "./dom.js";
import { routeHash } from "./route.js";
import type { DrainSummary, SmtpCheck } from "./types.js";

export function operatorSection(ctx: Context): HTMLElement {
  return section("Send and check", sendForm(ctx), h("div", { class: "actions" }, drainButton(ctx), smtpButton(ctx)));
}

/** One plain-text email, as `steward email send --to --subject --text`; the answer links the job. */
function sendForm(ctx: Context): HTMLElement {
  const to = h("input", { type: "email", name: "to", required: true, autocomplete: "off", multiple: true });
  const subject = h("input", { type: "text", name: "subject", required: true, autocomplete: "off" });
  const text = h("textarea", { name: "text", required: true, rows: 3 });
  const form = h(
    "form",
    {
      class: "filters",
      "aria-label": "Send one email",
      onsubmit: (e: Event) => {
        e.preventDefault();
        void send();
      },
    },
    field("To", to),
    field("Subject", subject),
    field("Text", text),
    h("div", { class: "field buttons" }, h("button", { type: "submit" }, "Queue email")),
  );
  async function send(): Promise<void> {
    const recipients = to.value
      .split(",")
      .map((a) => a.trim())
      .filter((a) => a !== "");
    try {
      const r = await ctx.api.send<{ id: string; status: string }>("POST", "/emails", {
        to: recipients,
        subject: subject.value,
        text: text.value,
      });
      ctx.notify(`Queued email ${r.id} (${r.status}).`);
      form.reset();
      // Straight to the new job: its detail follows it from pending to sent.
      window.location.hash = routeHash("email", r.id);
    } catch (e) {
      ctx.notify(`Could not queue the email: ${errorText(e)}`, true);
    }
  }
  return form;
}

function drainButton(ctx: Context): HTMLButtonElement {
  const b = button("Send due mail now", async () => {
    b.disabled = true;
    try {
      const s = await ctx.api.send<DrainSummary>("POST", "/emails/drain");
      ctx.notify(
        `Drained ${s.claimed} job(s): ${s.sent} sent, ${s.retrying} to retry, ${s.failed} failed.`,
        s.failed + s.retrying > 0,
      );
    } catch (e) {
      ctx.notify(`Could not drain: ${errorText(e)}`, true);
    } finally {
      b.disabled = false;
    }
  });
  return b;
}

function smtpButton(ctx: Context): HTMLButtonElement {
  const b = button(
    "Check the SMTP connection",
    async () => {
      b.disabled = true;
      try {
        const c = await ctx.api.send<SmtpCheck>("POST", "/emails/verify-smtp");
        const login = c.login.ok === null ? "login skipped" : c.login.ok ? "login ok" : "login FAILED";
        const ok = c.connection.ok && c.login.ok !== false;
        ctx.notify(`SMTP: ${c.connection.detail}; ${login} (${c.login.detail}).`, !ok);
      } catch (e) {
        ctx.notify(`Could not check SMTP: ${errorText(e)}`, true);
      } finally {
        b.disabled = false;
      }
    },
    { class: "secondary" },
  );
  return b;
}
