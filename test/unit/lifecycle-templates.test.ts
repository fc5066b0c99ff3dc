import fs from "node:fs";
import path from "node:path";
import Mustache from "mustache";
import { describe, expect, it } from "vitest";
import { noticeEmail, noticeTemplateId } from "../../src/services/lifecycle/notice-email.js";
import { NOTICE_KINDS } from "../../src/services/lifecycle/rules.js";
import { videoChangeEmail } from "../../src/services/video/notice-email.js";
import { projectRoot } from "../helpers/steward-process.js";

const PARTS = ["subject.txt", "text.txt", "html.html"];

/** Every name a template reads: variables and section names, at any depth (names inside a section are its items'). */
function tags(tokens: unknown[], inSection: string | null, out: Map<string | null, Set<string>>): void {
  for (const token of tokens as Array<[string, string, number, number, unknown[]?]>) {
    const [type, name, , , children] = token;
    if (["name", "&", "{", "#", "^"].includes(type)) {
      if (!out.has(inSection)) out.set(inSection, new Set());
      out.get(inSection)?.add(name);
    }
    if ((type === "#" || type === "^") && children) tags(children, type === "#" ? name : inSection, out);
  }
}

function templateTags(id: string): Map<string | null, Set<string>> {
  const out = new Map<string | null, Set<string>>();
  for (const part of PARTS) {
    const file = path.join(projectRoot, "config", "templates", id, part);
    tags(Mustache.parse(fs.readFileSync(file, "utf8")), null, out);
  }
  return out;
}

/**
 * Fails when a template uses a tag the variables do not provide. Inside a list section a
 * name may come from the list's items or, as mustache looks up the context stack, from the top.
 */
function expectCovered(id: string, variables: Record<string, unknown>): void {
  for (const [section, names] of templateTags(id)) {
    const value = section === null ? undefined : variables[section];
    const item = Array.isArray(value) ? ((value[0] as Record<string, unknown> | undefined) ?? {}) : {};
    const known = [...Object.keys(variables), ...Object.keys(item)];
    for (const name of names) {
      expect(known, `${id}: {{${name}}}${section ? ` in {{#${section}}}` : ""}`).toContain(name);
    }
  }
}

describe("notice templates", () => {
  const candidate = {
    subjectType: "portrait" as const,
    subjectId: "p-1",
    subscriptionEnd: new Date("2026-03-12T12:00:00Z"),
    recipient: "owner@example.com",
    subjectName: "Entrance <hall> & co",
    projectName: null,
  };

  it.each(NOTICE_KINDS)("lifecycle_%s has all three parts and every tag has a variable", (kind) => {
    const email = noticeEmail(candidate, kind);
    expect(email.templateId).toBe(noticeTemplateId(kind));
    for (const part of PARTS)
      expect(fs.existsSync(path.join(projectRoot, "config/templates", email.templateId ?? "", part))).toBe(true);
    expectCovered(email.templateId ?? "", email.variables ?? {});
    const html = Mustache.render(
      fs.readFileSync(path.join(projectRoot, "config/templates", email.templateId ?? "", "html.html"), "utf8"),
      email.variables,
    );
    // The html part escapes what the owner typed.
    expect(html).toContain("Entrance &lt;hall&gt; &amp; co");
    const text = Mustache.render(
      fs.readFileSync(path.join(projectRoot, "config/templates", email.templateId ?? "", "text.txt"), "utf8"),
      email.variables,
    );
    expect(text).toContain('"Entrance <hall> & co"');
    expect(text).toContain("Thursday 12 March 2026, 12:00 UTC");
  });

  it("video_schedule_change has all three parts and every tag, also inside {{#changes}}, has a variable", () => {
    const email = videoChangeEmail(
      "p-1",
      { title: "Entrance", recipient: "owner@example.com" },
      [
        {
          id: "v1",
          portraitId: "p-1",
          title: "Morning",
          startAt: null,
          endAt: null,
          rotationType: "cyclic",
          rotationOrder: 1,
          status: "active",
          isShown: true,
          lastActivatedAt: null,
        },
        {
          id: "v2",
          portraitId: "p-1",
          title: "Evening",
          startAt: null,
          endAt: null,
          rotationType: "cyclic",
          rotationOrder: 2,
          status: "active",
          isShown: false,
          lastActivatedAt: null,
        },
      ],
      [
        { videoId: "v1", action: "hide", reason: "rotation", from: "shown", to: "hidden" },
        { videoId: "v2", action: "show", reason: "rotation", from: "hidden", to: "shown" },
      ],
      42,
      new Date("2026-03-12T12:00:00Z"),
    );
    expect(email.idempotencyKey).toBe("video-change:p-1:42");
    expectCovered("video_schedule_change", email.variables ?? {});
    const text = Mustache.render(
      fs.readFileSync(path.join(projectRoot, "config/templates/video_schedule_change/text.txt"), "utf8"),
      email.variables,
    );
    expect(text).toContain('- "Morning" (v1): shown -> hidden, rotation');
    expect(text).toContain('Now showing: "Evening".');
  });
});
