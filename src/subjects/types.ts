/**
 * Projects, portraits and videos as the schedulers and the HTTP API see them. Host apps that
 * share the database write the same tables directly (docs/host-apps.md, "The tables").
 */

export type LifecycleStatus = "active" | "expiring" | "archived";
export type SubjectType = "project" | "portrait";
export const ROTATION_TYPES = ["none", "sequential", "cyclic", "random"] as const;
export type RotationType = (typeof ROTATION_TYPES)[number];
export const VIDEO_STATUSES = ["active", "inactive", "archived"] as const;
export type VideoStatus = (typeof VIDEO_STATUSES)[number];

export interface ProjectInput {
  name: string;
  ownerEmail: string | null;
  subscriptionEnd: Date | null;
}

export interface PortraitInput {
  projectId: string | null;
  title: string;
  ownerEmail: string | null;
  subscriptionEnd: Date | null;
}

export interface VideoInput {
  portraitId: string;
  title: string;
  mediaUrl: string | null;
  startAt: Date | null;
  endAt: Date | null;
  rotationType: RotationType;
  rotationOrder: number;
  status: VideoStatus;
}

interface Stored {
  id: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface Lifecycled {
  lifecycleStatus: LifecycleStatus;
  lifecycleChangedAt: Date | null;
}

export interface ProjectRow extends ProjectInput, Lifecycled, Stored {}
export interface PortraitRow extends PortraitInput, Lifecycled, Stored {}

/** The fields the video scheduler decides by; a pass reads only these. */
export type ScheduledVideo = Pick<
  VideoRow,
  | "id"
  | "portraitId"
  | "title"
  | "startAt"
  | "endAt"
  | "rotationType"
  | "rotationOrder"
  | "status"
  | "isShown"
  | "lastActivatedAt"
>;

/** The scheduler's fields beside the admin's: only the video scheduler writes these. */
export interface VideoRow extends VideoInput, Stored {
  isShown: boolean;
  lastActivatedAt: Date | null;
  lastDeactivatedAt: Date | null;
  archivedAt: Date | null;
}
