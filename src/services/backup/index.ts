/** What the registry may use of the backup service: its entry. */
export { backupServiceDefinition } from "./definition.js";
export type { BackupServiceOptions } from "./service.js";
