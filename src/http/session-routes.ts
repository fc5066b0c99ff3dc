import { HttpError, json, type Request, type Router } from "./router.js";
import { clearedCookie } from "./session.js";

/**
 * GET, POST and DELETE /session: how the dashboard learns whether it must ask for the token,
 * exchanges it for a cookie, and lets go of it. Open routes: the login form needs them before
 * any credential; the cross-site checks (Host, Origin, JSON body) still apply.
 */
export function addSessionRoutes(router: Router): void {
  const auth = router.auth;
  const sessions = auth.sessions;
  router
    .add({
      method: "GET",
      path: "/session",
      open: true,
      handler: (req) => {
        if (!sessions) return json(200, { authenticated: true, tokenRequired: false, csrf: null });
        const session = sessions.read(req.headers);
        if (session) return json(200, { authenticated: true, tokenRequired: true, csrf: session.csrf });
        return json(200, { authenticated: bearerWorks(req), tokenRequired: true, csrf: null });
      },
    })
    .add({
      method: "POST",
      path: "/session",
      open: true,
      maxBodyBytes: 4096,
      handler: async (req) => {
        const body = await req.json();
        const token = typeof body === "object" && body !== null ? (body as { token?: unknown }).token : undefined;
        if (typeof token !== "string" || token === "")
          throw new HttpError(400, "token: give the admin token as a string");
        if (!sessions) return json(200, { authenticated: true, csrf: null });
        if (!auth.check(token, req.raw)) throw new HttpError(401, "wrong token");
        const session = sessions.issue();
        const secure = req.headers["x-forwarded-proto"] === "https";
        return {
          status: 200,
          body: { authenticated: true, csrf: session.csrf, expiresAt: session.expiresAt.toISOString() },
          headers: { "set-cookie": sessions.setCookie(session, secure), "cache-control": "no-store" },
        };
      },
    })
    .add({
      method: "DELETE",
      path: "/session",
      // Logging out needs no credential: the answer only tells the browser to forget its cookie.
      open: true,
      handler: () => ({ status: 200, body: { authenticated: false }, headers: { "set-cookie": clearedCookie } }),
    });
}

function bearerWorks(req: Request): boolean {
  if (req.headers.authorization === undefined) return false;
  try {
    return req.authorize() === "bearer";
  } catch {
    return false;
  }
}
