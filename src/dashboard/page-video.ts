// Video: per portrait what is shown now and what changes next, and the history of changes.
import type { Mount } from "./context.js";
import { badge, button, field, h, pageHeading, section, when } from "./dom.js";
import { pagedTable } from "./paged.js";
import { withQuery } from "./query.js";
import { routeHash } from "./route.js";
import { runPassButton } from "./run-pass.js";
import type { Page, PortraitVideo, VideoChange } from "./types.js";

export const videoPage: Mount = (root, ctx) => {
  const portraitFilter = ctx.route.params.get("portrait") ?? "";
  const portraits = pagedTable<PortraitVideo>(
    "Portraits and their videos",
    [
      { label: "Portrait", cell: (p) => p.portraitId },
      {
        label: "Shown now",
        cell: (p) =>
          p.shown
            ? [
                h("strong", null, p.shown.title),
                h("br"),
                h("span", { class: "url" }, p.shown.mediaUrl),
                h("br"),
                "since ",
                when(p.shown.since),
              ]
            : h("span", { class: "muted" }, "nothing"),
      },
      {
        label: "Next change",
        cell: (p) =>
          p.next
            ? [badge(p.next.change, "kind"), " ", p.next.videoId ?? "", " ", when(p.next.at, true)]
            : "none planned",
      },
      { label: "Videos", cell: (p) => String(p.videos), class: "num" },
      {
        label: "History",
        cell: (p) =>
          h(
            "a",
            { href: routeHash("video", null, { portrait: p.portraitId }), "aria-label": `History of ${p.portraitId}` },
            "History",
          ),
      },
    ],
    (cursor) => ctx.api.get<Page<PortraitVideo>>(withQuery("/video/portraits", { limit: 10, cursor })),
    "No portrait has videos.",
  );
  const history = pagedTable<VideoChange>(
    portraitFilter ? `Changes to portrait ${portraitFilter}, newest first` : "Changes, newest first",
    [
      { label: "When", cell: (c) => when(c.at) },
      { label: "Portrait", cell: (c) => c.portraitId },
      { label: "Change", cell: (c) => badge(c.change, "kind") },
      { label: "Video", cell: (c) => c.videoId ?? "—" },
      { label: "Before", cell: (c) => c.fromVideoId ?? "—" },
      { label: "By", cell: (c) => c.actor },
    ],
    (cursor) =>
      ctx.api.get<Page<VideoChange>>(withQuery("/video/history", { portraitId: portraitFilter, limit: 15, cursor })),
    "No change recorded.",
  );
  const input = h("input", { type: "search", name: "portrait", value: portraitFilter, autocomplete: "off" });
  const form = h(
    "form",
    {
      class: "filters",
      "aria-label": "Filter history",
      onsubmit: (e: Event) => {
        e.preventDefault();
        window.location.hash = routeHash("video", null, { portrait: input.value.trim() });
      },
    },
    field("Portrait id", input),
    h(
      "div",
      { class: "field buttons" },
      h("button", { type: "submit" }, "Show history"),
      button("All portraits", () => (window.location.hash = routeHash("video")), { class: "secondary" }),
    ),
  );
  const runNow = runPassButton(ctx, "video", () => {
    void portraits.reload(true);
    void history.reload(true);
  });
  root.append(
    pageHeading("Video"),
    h("div", { class: "actions" }, runNow),
    section("Now and next", portraits.el),
    section("History", form, history.el),
  );
  void portraits.reload(true);
  void history.reload(true);
  return undefined;
};
