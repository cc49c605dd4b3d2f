export * from "./dimensions-stack";
export * from "./customer";
export * from "./customer-user";
export * from "./role-assignment";
export { HANDLER_BUNDLE_ENV } from "./private/bundle";
