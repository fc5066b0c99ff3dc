/** What the registry may use of the video scheduler: its entry. */
export { videoDefinition } from "./definition.js";
export type { VideoOptions } from "./service.js";
