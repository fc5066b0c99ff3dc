// The login form, shown when Steward has an ADMIN_TOKEN and this browser has no session yet.
// The token is exchanged once for an HttpOnly cookie; the page never stores it.
import type { Api } from "./api.js";
import { errorText } from "./context.js";
import { field, fill, h } from "./dom.js";

export function showLogin(root: HTMLElement, api: Api, done: () => void): void {
  const token = h("input", { type: "password", name: "token", autocomplete: "current-password", required: true });
  const error = h("p", { class: "error", role: "alert" });
  const submit = h("button", { type: "submit" }, "Sign in");
  const form = h(
    "form",
    {
      class: "login",
      "aria-labelledby": "login-title",
      onsubmit: async (e: Event) => {
        e.preventDefault();
        submit.disabled = true;
        error.textContent = "";
        try {
          await api.login(token.value);
          token.value = "";
          done();
        } catch (err) {
          error.textContent = `Sign-in failed: ${errorText(err)}`;
          token.focus();
        } finally {
          submit.disabled = false;
        }
      },
    },
    h("h1", { id: "login-title" }, "Sign in to Steward"),
    h("p", null, "This Steward has an admin token. Enter it once; the browser keeps a session cookie, not the token."),
    field("Admin token", token),
    submit,
    error,
  );
  fill(root, form);
  token.focus();
}
