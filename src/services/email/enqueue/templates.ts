import fs from "node:fs";
import path from "node:path";
import Mustache from "mustache";
import { projectRoot } from "../../../core/project.js";
import { EmailValidationError } from "./validation-error.js";

/**
 * Email templates: `<dir>/<templateId>/subject.txt`, `text.txt` and `html.html`, rendered by
 * mustache. Only the html part is HTML-escaped; the subject and text parts are plain text, so
 * escaping them would show `&amp;` to the reader.
 */

export interface RenderedTemplate {
  subject: string;
  text: string;
  html: string;
}

const PARTS = [
  ["subject", "subject.txt"],
  ["text", "text.txt"],
  ["html", "html.html"],
] as const;

/** Letters, digits, `_`, `-` and `.`, not starting with a dot: a folder name that cannot climb out of the dir. */
const TEMPLATE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

interface Loaded {
  mtimes: number[];
  parts: RenderedTemplate;
  /** Each part parsed once when read, so a render only walks the tokens. */
  tokens: { subject: string[][]; text: string[][]; html: string[][] };
  variables: string[];
}

/** Our own writer: its parse is done at load, and no one else's templates share its cache. */
const writer = new Mustache.Writer();

export function defaultTemplatesDir(): string {
  return path.join(projectRoot(), "config", "templates");
}

const plainText = { escape: (value: unknown) => String(value) };

export class TemplateRenderer {
  private readonly cache = new Map<string, Loaded>();

  constructor(readonly dir: string = defaultTemplatesDir()) {}

  /** Throws EmailValidationError for an unknown template or a variable the template needs but was not given. */
  render(templateId: string, variables: Record<string, unknown>): RenderedTemplate {
    return renderLoaded(templateId, this.load(templateId), variables);
  }

  /**
   * A renderer for one batch of jobs: each template it names is checked on disk and parsed
   * once for the batch, not once a job (three stat calls a job were most of a templated bulk).
   */
  forBatch(): Pick<TemplateRenderer, "render"> {
    const seen = new Map<string, Loaded>();
    return {
      render: (templateId, variables) => {
        let loaded = seen.get(templateId);
        if (!loaded) {
          loaded = this.load(templateId);
          seen.set(templateId, loaded);
        }
        return renderLoaded(templateId, loaded, variables);
      },
    };
  }

  private load(templateId: string): Loaded {
    if (!TEMPLATE_ID.test(templateId)) {
      throw new EmailValidationError(`templateId "${templateId}" is not a template name (letters, digits, _ - .)`);
    }
    const folder = path.join(this.dir, templateId);
    const files = PARTS.map(([, file]) => path.join(folder, file));
    let mtimes: number[];
    try {
      mtimes = files.map((file) => fs.statSync(file).mtimeMs);
    } catch {
      throw new EmailValidationError(
        `unknown template ${templateId}: ${folder} needs subject.txt, text.txt and html.html`,
      );
    }
    const cached = this.cache.get(templateId);
    // Re-read when a part changed on disk, so editing a template needs no restart.
    if (cached?.mtimes.every((m, i) => m === mtimes[i])) return cached;
    const [subject, text, html] = files.map((file) => fs.readFileSync(file, "utf8")) as [string, string, string];
    let variables: string[];
    let tokens: Loaded["tokens"];
    try {
      tokens = { subject: writer.parse(subject), text: writer.parse(text), html: writer.parse(html) };
      variables = [...new Set([tokens.subject, tokens.text, tokens.html].flatMap(requiredVariables))];
    } catch (error) {
      throw new EmailValidationError(`template ${templateId} does not parse: ${(error as Error).message}`);
    }
    const loaded = { mtimes, parts: { subject, text, html }, tokens, variables };
    this.cache.set(templateId, loaded);
    return loaded;
  }
}

function renderLoaded(templateId: string, loaded: Loaded, variables: Record<string, unknown>): RenderedTemplate {
  const missing = loaded.variables.filter((name) => lookup(variables, name) === undefined);
  if (missing.length > 0) {
    throw new EmailValidationError(
      `template ${templateId} needs variable${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`,
    );
  }
  const { tokens, parts } = loaded;
  const context = new Mustache.Context(variables);
  return {
    subject: writer.renderTokens(tokens.subject, context, {}, parts.subject, plainText).trim(),
    text: writer.renderTokens(tokens.text, context, {}, parts.text, plainText),
    html: writer.renderTokens(tokens.html, context, {}, parts.html),
  };
}

type Token = [string, string, number, number, Token[]?];

/**
 * The variables a template prints outside any section. Names inside `{{#list}}...{{/list}}`
 * resolve against the list items, and a section or inverted section whose name is absent is
 * simply skipped, so neither is required.
 */
function requiredVariables(parsed: string[][]): string[] {
  const tokens = parsed as unknown as Token[];
  return tokens.filter(([type, name]) => (type === "name" || type === "&") && name !== ".").map(([, name]) => name);
}

function lookup(variables: Record<string, unknown>, name: string): unknown {
  let value: unknown = variables;
  for (const part of name.split(".")) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}
