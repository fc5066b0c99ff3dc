import { backupServiceDefinition } from "./backup/index.js";
import type { ServiceDefinition } from "./contract.js";
import { emailServiceDefinition } from "./email/index.js";
import { lifecycleDefinition } from "./lifecycle/index.js";
import { videoDefinition } from "./video/index.js";

/**
 * The services this build hosts, in start order (the email queue first, so notices queued by
 * the schedulers find it running). A new service adds its definition here; the supervisor
 * lists disabled ones in status as `disabled`.
 */
export const serviceDefinitions: readonly ServiceDefinition[] = [
  emailServiceDefinition(),
  lifecycleDefinition(),
  videoDefinition(),
  backupServiceDefinition,
];
