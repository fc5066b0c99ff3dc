/** What the registry may use of the lifecycle scheduler: its entry; and its rules, for reports that foresee a pass. */
export { lifecycleDefinition } from "./definition.js";
/** `lifecycle plan`: the one function behind the command and GET /lifecycle/plan. */
export { type LifecyclePlan, lifecyclePlan } from "./plan.js";
export { type NoticeKind, noticeDue, plannedNotices } from "./rules.js";
export type { LifecycleOptions } from "./service.js";
