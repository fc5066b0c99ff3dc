// The admin API client. Every mutating call carries Content-Type: application/json and the
// session's CSRF token: the server refuses cross-site writes on either missing.
import type { Session } from "./types.js";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Method = "POST" | "PUT" | "DELETE";

export class Api {
  /** From GET/POST /session; null when no login is needed. */
  csrf: string | null = null;
  /** Called on a 401: the session ended (token changed, server restarted with another one). */
  onUnauthorized: () => void = () => {};

  get<T>(url: string): Promise<T> {
    return this.request<T>("GET", url);
  }

  send<T>(method: Method, url: string, body: unknown = {}): Promise<T> {
    return this.request<T>(method, url, body);
  }

  async session(): Promise<Session> {
    const session = await this.get<Session>("/session");
    this.csrf = session.csrf;
    return session;
  }

  async login(token: string): Promise<void> {
    const answer = await this.request<{ csrf: string }>("POST", "/session", { token }, false);
    this.csrf = answer.csrf;
  }

  private async request<T>(method: string, url: string, body?: unknown, reportUnauthorized = true): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (method !== "GET") {
      headers["content-type"] = "application/json";
      if (this.csrf !== null) headers["x-steward-csrf"] = this.csrf;
    }
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        body: method === "GET" ? undefined : JSON.stringify(body ?? {}),
        credentials: "same-origin",
        cache: "no-store",
      });
    } catch {
      throw new ApiError(0, "Steward did not answer (is it running?)");
    }
    const payload: unknown = await res.json().catch(() => null);
    if (res.ok) return payload as T;
    if (res.status === 401 && reportUnauthorized) this.onUnauthorized();
    const message =
      typeof payload === "object" && payload !== null && typeof (payload as { error?: unknown }).error === "string"
        ? (payload as { error: string }).error
        : `HTTP ${res.status}`;
    throw new ApiError(res.status, message);
  }
}
