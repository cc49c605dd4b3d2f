export * from "./rules";
export * from "./props";
export * from "./model";
export * from "./access";
export * from "./acknowledgements";
export * from "./csv";
export * from "./emails";
