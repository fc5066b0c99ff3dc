import type { ServiceDefinition } from "../core/context.js";
import { emailServiceDefinition } from "./email/definition.js";

/**
 * The services this build hosts, in start order. Each service issue adds its definition here;
 * the supervisor lists disabled ones in status as `disabled`.
 */
export const serviceDefinitions: readonly ServiceDefinition[] = [emailServiceDefinition()];
