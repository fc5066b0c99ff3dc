import { instantJson } from "../../core/instant.js";
import { pageRequest } from "../../http/paging.js";
import { HttpError, json, type Router } from "../../http/router.js";
import { parseId, SubjectStore, type VideoRow, videoInput } from "../../subjects/index.js";
import type { ServiceContext } from "../contract.js";
import { listPortraitVideos, listVideoHistory } from "./lists.js";
import { isEligible, videoState } from "./rules.js";

// ISO 8601, or "infinity" for what PostgreSQL calls that (core/instant.ts).
const iso = instantJson;

/**
 * PUT, GET and DELETE on /videos/<id>, and the dashboard's lists: per portrait what is shown
 * and what changes next (GET /video/portraits), the changes made (GET /video/history). PUT sets the admin's fields; whether a video is shown
 * is the scheduler's to decide, and changes at its next pass.
 */
export function addVideoRoutes(router: Router, ctx: ServiceContext): void {
  const store = new SubjectStore(ctx.db.sql);
  const found = async (id: string) => {
    const row = await store.getVideo(id);
    if (!row) throw new HttpError(404, `no such video: ${id}`);
    return videoJson(row, ctx.clock.now());
  };
  router
    .add({
      method: "GET",
      path: "/videos/:id",
      handler: async (req) => json(200, await found(parseId(req.params.id, "video"))),
    })
    .add({
      method: "PUT",
      path: "/videos/:id",
      admin: true,
      maxBodyBytes: 64 * 1024,
      handler: async (req) => {
        const id = parseId(req.params.id, "video");
        const created = await store.putVideo(id, videoInput(await req.json()), ctx.clock.now());
        return json(created ? 201 : 200, await found(id));
      },
    })
    .add({
      method: "GET",
      path: "/video/portraits",
      handler: async (req) =>
        json(200, await listPortraitVideos(ctx.db.sql, pageRequest(req.query), ctx.clock.now(), ctx.config.video)),
    })
    .add({
      method: "GET",
      path: "/video/history",
      handler: async (req) => {
        const portraitId = req.query.get("portraitId")?.trim() || undefined;
        return json(200, await listVideoHistory(ctx.db.sql, pageRequest(req.query), portraitId));
      },
    })
    .add({
      method: "DELETE",
      path: "/videos/:id",
      admin: true,
      handler: async (req) => {
        const id = parseId(req.params.id, "video");
        if (!(await store.deleteVideo(id))) throw new HttpError(404, `no such video: ${id}`);
        return json(200, { id, deleted: true });
      },
    });
}

export function videoJson(v: VideoRow, now: Date): Record<string, unknown> {
  return {
    id: v.id,
    portraitId: v.portraitId,
    title: v.title,
    mediaUrl: v.mediaUrl,
    startAt: iso(v.startAt),
    endAt: iso(v.endAt),
    rotationType: v.rotationType,
    rotationOrder: v.rotationOrder,
    status: v.status,
    shown: v.isShown,
    state: videoState(v, now),
    eligible: isEligible(v, now),
    lastActivatedAt: iso(v.lastActivatedAt),
    lastDeactivatedAt: iso(v.lastDeactivatedAt),
    archivedAt: iso(v.archivedAt),
    createdAt: iso(v.createdAt),
    updatedAt: iso(v.updatedAt),
  };
}
