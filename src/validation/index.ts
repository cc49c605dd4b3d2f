export * from "./rules";
export * from "./props";
export * from "./model";
