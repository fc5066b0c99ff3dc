/** What the registry may use of the video scheduler: its entry; and its rules, for reports that foresee a pass. */
export { videoDefinition } from "./definition.js";
export { type PlannedChange, planPortrait, type VideoFacts } from "./rules.js";
export type { VideoOptions } from "./service.js";
