import { instantJson } from "../../core/instant.js";
import { HttpError, json, type Router } from "../../http/router.js";
import {
  type NoticeRecord,
  type PortraitRow,
  type ProjectRow,
  parseId,
  portraitInput,
  projectInput,
  SubjectStore,
  type SubjectType,
} from "../../subjects/index.js";
import type { ServiceContext } from "../contract.js";
import { lifecycleStatus } from "./rules.js";

const BODY_LIMIT = 64 * 1024;
// ISO 8601, or "infinity" for what PostgreSQL calls that (core/instant.ts).
const iso = instantJson;

/**
 * PUT, GET and DELETE on /projects/<id> and /portraits/<id>: how a host app that does not
 * share the database feeds the lifecycle scheduler. PUT replaces the admin's fields and
 * answers with what GET would; the lifecycle status in the answer is computed for now.
 */
export function addLifecycleRoutes(router: Router, ctx: ServiceContext): void {
  const store = new SubjectStore(ctx.db.sql);
  const kinds: Array<{
    type: SubjectType;
    path: string;
    get(id: string): Promise<Record<string, unknown> | undefined>;
    put(id: string, body: unknown): Promise<boolean>;
    remove(id: string): Promise<boolean>;
  }> = [
    {
      type: "project",
      path: "/projects/:id",
      get: async (id) => {
        const row = await store.getProject(id);
        return row && projectJson(row, await store.notices("project", id), ctx.clock.now());
      },
      put: (id, body) => store.putProject(id, projectInput(body), ctx.clock.now()),
      remove: (id) => store.deleteProject(id),
    },
    {
      type: "portrait",
      path: "/portraits/:id",
      get: async (id) => {
        const row = await store.getPortrait(id);
        if (!row) return undefined;
        const recipient = await store.noticeRecipient(row);
        return portraitJson(row, recipient, await store.notices("portrait", id), ctx.clock.now());
      },
      put: (id, body) => store.putPortrait(id, portraitInput(body), ctx.clock.now()),
      remove: (id) => store.deletePortrait(id),
    },
  ];
  for (const kind of kinds) {
    const found = async (id: string) => {
      const body = await kind.get(id);
      if (!body) throw new HttpError(404, `no such ${kind.type}: ${id}`);
      return body;
    };
    router
      .add({
        method: "GET",
        path: kind.path,
        handler: async (req) => json(200, await found(parseId(req.params.id, kind.type))),
      })
      .add({
        method: "PUT",
        path: kind.path,
        admin: true,
        maxBodyBytes: BODY_LIMIT,
        handler: async (req) => {
          const id = parseId(req.params.id, kind.type);
          const created = await kind.put(id, await req.json());
          return json(created ? 201 : 200, await found(id));
        },
      })
      .add({
        method: "DELETE",
        path: kind.path,
        admin: true,
        handler: async (req) => {
          const id = parseId(req.params.id, kind.type);
          if (!(await kind.remove(id))) throw new HttpError(404, `no such ${kind.type}: ${id}`);
          return json(200, { id, deleted: true });
        },
      });
  }
}

function noticesJson(notices: NoticeRecord[]): unknown[] {
  return notices.map((n) => ({
    kind: n.kind,
    subscriptionEnd: iso(n.subscriptionEnd),
    recipient: n.recipient,
    emailJobId: n.emailJobId,
    sentAt: iso(n.sentAt),
  }));
}

export function projectJson(p: ProjectRow, notices: NoticeRecord[], now: Date): Record<string, unknown> {
  return {
    id: p.id,
    name: p.name,
    ownerEmail: p.ownerEmail,
    subscriptionEnd: iso(p.subscriptionEnd),
    lifecycleStatus: lifecycleStatus(p.subscriptionEnd, now),
    lifecycleChangedAt: iso(p.lifecycleChangedAt),
    notices: noticesJson(notices),
    createdAt: iso(p.createdAt),
    updatedAt: iso(p.updatedAt),
  };
}

export function portraitJson(
  p: PortraitRow,
  recipient: string | null,
  notices: NoticeRecord[],
  now: Date,
): Record<string, unknown> {
  return {
    id: p.id,
    projectId: p.projectId,
    title: p.title,
    ownerEmail: p.ownerEmail,
    subscriptionEnd: iso(p.subscriptionEnd),
    lifecycleStatus: lifecycleStatus(p.subscriptionEnd, now),
    lifecycleChangedAt: iso(p.lifecycleChangedAt),
    noticeRecipient: recipient,
    notices: noticesJson(notices),
    createdAt: iso(p.createdAt),
    updatedAt: iso(p.updatedAt),
  };
}
