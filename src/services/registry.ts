import { backupServiceDefinition } from "./backup/definition.js";
import type { ServiceDefinition } from "./contract.js";
import { emailServiceDefinition } from "./email/definition.js";
import { lifecycleDefinition } from "./lifecycle/service.js";
import { videoDefinition } from "./video/service.js";

/**
 * The services this build hosts, in start order (the email queue first, so notices queued by
 * the schedulers find it running). Each service issue adds its definition here; the
 * supervisor lists disabled ones in status as `disabled`.
 */
export const serviceDefinitions: readonly ServiceDefinition[] = [
  emailServiceDefinition(),
  lifecycleDefinition(),
  videoDefinition(),
  backupServiceDefinition,
];
