/**
 * The subjects: the host app's projects, portraits and videos, the rows the lifecycle and video
 * schedulers act on. Shared data, not a service: their types, the validation of their HTTP
 * bodies, the store the routes and the demo write through, the demo itself, and the readable
 * times the notices print. Services reach it only through this file.
 */
export { fillDemo } from "./demo.js";
export { readableUtc } from "./readable-time.js";
export { type NoticeRecord, SubjectStore, scheduledVideo, videoRow } from "./store.js";
export type {
  LifecycleStatus,
  PortraitRow,
  ProjectRow,
  RotationType,
  ScheduledVideo,
  SubjectType,
  VideoRow,
  VideoStatus,
} from "./types.js";
export { parseId, portraitInput, projectInput, videoInput } from "./validate.js";
