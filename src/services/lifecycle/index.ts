/** What the registry may use of the lifecycle scheduler: its entry. */
export { lifecycleDefinition } from "./definition.js";
export type { LifecycleOptions } from "./service.js";
