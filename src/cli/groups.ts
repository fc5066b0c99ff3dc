import { registerEmail } from "./email.js";
import type { CommandGroup } from "./program.js";

/** The service issues' command groups (email, backup, run, lifecycle, demo), in help order. */
export const commandGroups: readonly CommandGroup[] = [registerEmail];
