/** What the registry may use of the backup service: its entry. */

/** The backup actions: the one implementation `steward backup ...` and the admin API both call. */
export {
  type BackupDeps,
  backupSchedule,
  findBackup,
  listBackups,
  rotateNow,
  runBackupNow,
  verifyBackupNow,
} from "./actions.js";
export { backupServiceDefinition } from "./definition.js";
export type { BackupServiceOptions } from "./service.js";
