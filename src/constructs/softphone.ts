/**
 * The softphone client types (U14) a PBX device is assigned with, as readable constants. The raw
 * strings are accepted too: `{ device: "1001", clientType: "desktop" }` and
 * `{ device: "1001", clientType: ClientType.DESKTOP }` say the same.
 */
export const ClientType = {
  /** The UC desktop client. */
  DESKTOP: "desktop",
  /** The UC mobile app. */
  MOBILE: "mobile",
  /** The browser (WebRTC) client. */
  WEBRTC: "webrtc",
  /** The CRM integrations (Salesforce, Dynamics). */
  CRM: "crm",
} as const;
export type ClientType = (typeof ClientType)[keyof typeof ClientType];

/** One PBX device a user holds as a softphone (U14). */
export interface Softphone {
  /**
   * The device's id on the customer's PBX (a Kazoo device id, or an extension such as "1001"):
   * 1–64 letters, digits, ".", "_" or "-", starting with a letter or a digit.
   */
  readonly device: string;
  readonly clientType: ClientType;
}
