/** What the rollout benchmark declares, shared by its terraform run (rollout.ts) and its floor (floor-client.ts). */
import { Role } from "../src/catalogue/roles";

/** The environment variable every customer's PBX key is read from, and its value in the bench. */
export const PBX_KEY_ENV = "BENCH_KAZOO_KEY";
export const PBX_KEY = "bench-key";
/** The primary admin's roles, and every other user's. */
export const ADMIN = [Role.WEBSITE_ACCESS, Role.MANAGE_USERS, Role.REPORTS_SUPERVISOR];
export const AGENT = [Role.WEBSITE_ACCESS, Role.RECORDING_PLAYBACK];

export function customerProps(reference: string) {
  return {
    name: `Customer ${reference}`,
    description: "benchmark customer",
    reference,
    pbx: { hostRest: "https://pbx.bench.test", hostWebsocket: "wss://pbx.bench.test", accountId: `pbx-${reference}`, apiKeyEnv: PBX_KEY_ENV },
  };
}
