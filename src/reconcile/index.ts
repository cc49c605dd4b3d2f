/** The reconcile layer: pure comparison of desired, previous and live state (house style "decide, then act"). */
export * from "./users";
export * from "./plan";
export * from "./customer";
export * from "./predict";
export * from "./emails";
export * from "./softphones";
