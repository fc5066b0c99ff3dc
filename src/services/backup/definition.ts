import type { ServiceDefinition } from "../contract.js";
import { registerBackupCommands } from "./commands.js";
import { addBackupRoutes } from "./routes.js";
import { BackupService } from "./service.js";

/** The backup service runs when any of its jobs (database, storage, full, rotation) is switched on. */
export const backupServiceDefinition: ServiceDefinition = {
  name: "backup",
  enabled: (config) => Object.values(config.backup.jobs).some((job) => job.enabled),
  create: (ctx) => new BackupService(ctx),
  commands: registerBackupCommands,
  // In every process, like the other services' routes: a backup can be run from any of them.
  routes: addBackupRoutes,
};
