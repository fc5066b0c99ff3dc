/** What the registry may use of the lifecycle scheduler: its entry. */
export { lifecycleDefinition } from "./definition.js";
/** `lifecycle plan`: the one function behind the command and GET /lifecycle/plan. */
export { type LifecyclePlan, lifecyclePlan } from "./plan.js";
export type { LifecycleOptions } from "./service.js";
