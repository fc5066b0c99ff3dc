import { configSection, type Values, v } from "./fields.js";

export const lifecycleVars = {
  LIFECYCLE_SCHEDULER_ENABLED: v.bool(true, "run the lifecycle scheduler"),
  LIFECYCLE_CHECK_INTERVAL_SECONDS: v.int(3600, "seconds between lifecycle passes", 1, 7 * 86_400),
  LIFECYCLE_NOTIFICATIONS_ENABLED: v.bool(true, "send the 7-day, 24-hour and expired notices"),
  LIFECYCLE_EXPIRED_NOTICE_DAYS: v.int(
    30,
    "send the expired notice only for subscriptions that ended this recently",
    0,
    3650,
  ),
};

export const videoVars = {
  VIDEO_SCHEDULER_ENABLED: v.bool(true, "run the video animation scheduler"),
  VIDEO_SCHEDULER_CHECK_INTERVAL: v.int(300, "seconds between video passes", 1, 86_400),
  VIDEO_SCHEDULER_ROTATION_INTERVAL: v.int(
    3600,
    "seconds a rotating video stays shown before the next",
    1,
    30 * 86_400,
  ),
  VIDEO_SCHEDULER_ARCHIVE_AFTER_HOURS: v.int(168, "archive a video this many hours after its end", 0, 87_600),
  VIDEO_SCHEDULER_NOTIFICATIONS_ENABLED: v.bool(true, "email the portrait's owner about each video change"),
  VIDEO_SCHEDULER_ROTATION_NOTICES: v.bool(
    false,
    "also email the owner when a rotation is a portrait's only change (one mail per rotation per portrait)",
  ),
};

export interface LifecycleConfig {
  enabled: boolean;
  intervalMs: number;
  notificationsEnabled: boolean;
  expiredNoticeDays: number;
}

export interface VideoConfig {
  enabled: boolean;
  intervalMs: number;
  rotationIntervalMs: number;
  archiveAfterMs: number;
  notificationsEnabled: boolean;
  /**
   * Off by default: at the default interval a rotation every hour would mail each rotating
   * portrait's owner 24 times a day (25,000 mails a pass for 25,000 rotating portraits).
   */
  rotationNotices: boolean;
}

export const lifecycleSection = configSection("lifecycle", "Lifecycle scheduler", lifecycleVars, resolveLifecycle);
export const videoSection = configSection("video", "Video animation scheduler", videoVars, resolveVideo);

export function resolveLifecycle(values: Values<typeof lifecycleVars>): LifecycleConfig {
  return {
    enabled: values.LIFECYCLE_SCHEDULER_ENABLED,
    intervalMs: values.LIFECYCLE_CHECK_INTERVAL_SECONDS * 1000,
    notificationsEnabled: values.LIFECYCLE_NOTIFICATIONS_ENABLED,
    expiredNoticeDays: values.LIFECYCLE_EXPIRED_NOTICE_DAYS,
  };
}

export function resolveVideo(values: Values<typeof videoVars>): VideoConfig {
  return {
    enabled: values.VIDEO_SCHEDULER_ENABLED,
    intervalMs: values.VIDEO_SCHEDULER_CHECK_INTERVAL * 1000,
    rotationIntervalMs: values.VIDEO_SCHEDULER_ROTATION_INTERVAL * 1000,
    archiveAfterMs: values.VIDEO_SCHEDULER_ARCHIVE_AFTER_HOURS * 3_600_000,
    notificationsEnabled: values.VIDEO_SCHEDULER_NOTIFICATIONS_ENABLED,
    rotationNotices: values.VIDEO_SCHEDULER_ROTATION_NOTICES,
  };
}
