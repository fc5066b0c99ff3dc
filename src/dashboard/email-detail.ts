// One job: its fields, per-recipient state, the last error with its SMTP code, the rendered
// message (HTML shown as source text), and retry or cancel.
import { type Context, errorText } from "./context.js";
import { badge, button, fill, h, pageHeading, section, when } from "./dom.js";
import { jobAction } from "./email-jobs.js";
import { idPath } from "./query.js";
import { routeHash } from "./route.js";
import type { EmailDetail, Preview, Refusal } from "./types.js";

export function detailView(root: HTMLElement, ctx: Context, id: string): void {
  const body = h("div", null, "Loading…");
  root.append(h("p", null, h("a", { href: routeHash("email") }, "← All email jobs")), pageHeading(`Email ${id}`), body);

  async function load(): Promise<void> {
    try {
      const [job, preview] = await Promise.all([
        ctx.api.get<EmailDetail>(idPath("/emails", id)),
        ctx.api.get<Preview>(idPath("/emails", id, "/preview")).catch(() => null),
      ]);
      fill(body, actions(job), summary(job), recipients(job), previewSection(preview));
    } catch (e) {
      fill(body, h("p", { class: "error", role: "alert" }, `Could not load this job: ${errorText(e)}`));
    }
  }

  function actions(job: EmailDetail): HTMLElement {
    const act = (action: "retry" | "cancel", label: string) =>
      button(label, async () => {
        try {
          const r = await jobAction(ctx, job.id, action);
          ctx.notify(`Job ${r.id} is now ${r.status}.`);
          await load();
        } catch (e) {
          ctx.notify(`Could not ${action}: ${errorText(e)}`, true);
        }
      });
    const canRetry = job.status === "failed" || job.status === "cancelled";
    return h(
      "div",
      { class: "actions" },
      canRetry ? act("retry", "Retry this job") : null,
      job.status === "pending" ? act("cancel", "Cancel this job") : null,
    );
  }

  void load();
}

function summary(job: EmailDetail): HTMLElement {
  const row = (term: string, ...value: (Node | string)[]) => [h("dt", null, term), h("dd", null, ...value)];
  return section(
    "Job",
    h(
      "dl",
      { class: "facts" },
      row("Status", badge(job.status)),
      row("Subject", job.subject),
      row("From", job.from ?? "(default)"),
      row("To", job.to.join(", ")),
      job.cc.length > 0 ? row("Cc", job.cc.join(", ")) : [],
      job.bcc.length > 0 ? row("Bcc", job.bcc.join(", ")) : [],
      job.replyTo ? row("Reply-To", job.replyTo) : [],
      // A job without its own limit (null) has EMAIL_MAX_ATTEMPTS, which the page does not know.
      row("Attempts", job.maxAttempts === null ? String(job.attempts) : `${job.attempts} of ${job.maxAttempts}`),
      row("Priority", String(job.priority)),
      row("Created", when(job.createdAt)),
      // runAt of a job that will not be tried again is a past time that would read as a plan.
      row("Next attempt", job.status === "pending" || job.status === "sending" ? when(job.runAt, true) : "—"),
      row("Sent", when(job.sentAt)),
      row("Updated", when(job.updatedAt)),
      job.batchId
        ? row("Batch", h("a", { href: routeHash("email", null, { batchId: job.batchId }) }, job.batchId))
        : [],
      job.templateId ? row("Template", job.templateId) : [],
      job.messageId ? row("Message-ID", h("code", null, job.messageId)) : [],
      row("Last error", job.lastError ?? "none"),
      row("SMTP code", job.lastSmtpCode === null ? "—" : String(job.lastSmtpCode)),
    ),
  );
}

function recipients(job: EmailDetail): HTMLElement | null {
  const r = job.recipients;
  if (!r) return null;
  const list = (items: string[]) => (items.length > 0 ? h("ul", null, ...items.map((a) => h("li", null, a))) : "none");
  // A refusal's code and reply are known only once a server answered for that recipient.
  const refusal = (x: Refusal) => {
    const answer = [x.code, x.reply].filter((part) => part !== null).join(" ");
    return answer === "" ? x.address : `${x.address}: ${answer}`;
  };
  return section(
    "Recipients",
    h(
      "dl",
      { class: "facts" },
      h("dt", null, "Delivered"),
      h("dd", null, list(r.delivered)),
      h("dt", null, "Pending"),
      h("dd", null, list(r.pending.map(refusal))),
      h("dt", null, "Refused"),
      h("dd", null, list(r.refused.map(refusal))),
    ),
  );
}

function previewSection(p: Preview | null): HTMLElement {
  if (!p) return section("Preview", h("p", { class: "muted" }, "No preview for this job."));
  // Both bodies are shown as text in <pre>: the HTML is the sender's markup, never rendered here.
  return section(
    "Preview",
    h("p", null, h("strong", null, "Subject: "), p.subject),
    p.text !== null ? [h("h3", null, "Text part"), h("pre", { class: "source", tabindex: 0 }, p.text)] : null,
    p.html !== null ? [h("h3", null, "HTML part (source)"), h("pre", { class: "source", tabindex: 0 }, p.html)] : null,
  );
}
