import type { ServiceDefinition } from "../core/context.js";
import { backupServiceDefinition } from "./backup/definition.js";
import { lifecycleDefinition } from "./lifecycle/service.js";
import { videoDefinition } from "./video/service.js";

/**
 * The services this build hosts, in start order. Each service issue adds its definition here;
 * the supervisor lists disabled ones in status as `disabled`.
 */
export const serviceDefinitions: readonly ServiceDefinition[] = [
  lifecycleDefinition(),
  videoDefinition(),
  backupServiceDefinition,
];
