export * from "./constructs";
export { ROLE_CATALOGUE, ROLE_ALIASES, ADMIN_ROLES, Role, findRole, isAdmin, isServerManaged } from "./catalogue/roles";
export type { RoleDefinition, RoleGroup, RoleKey, RoleAssignmentMode } from "./catalogue/roles";
export { DimensionsError, RULE_CODES, formatFinding } from "./validation/rules";
export type { Finding, FindingLevel, RuleCode, RuleCodeDefinition } from "./validation/rules";
export { validateModel } from "./validation/model";
export { MANIFEST_FILE } from "./contracts/handler";
