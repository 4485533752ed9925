import type { PolicyDefinition } from '../policies/types.js';

/** Policy lookup by case type. */
export interface PolicyRegistry {
  forCaseType(type: string): PolicyDefinition | undefined;
  byId(id: string): PolicyDefinition | undefined;
  all(): readonly PolicyDefinition[];
}
