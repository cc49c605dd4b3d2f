/**
 * The emulator's in-memory model: resellers and their partner users, customers, customer users,
 * the PBX directory, access requests and OAuth tokens. Plain JSON-serialisable records so that
 * `--data FILE` can persist the whole model atomically (temp file + rename) after each mutation.
 */
import { randomBytes, randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { AccessMode, AccessStatus, KazooPbxConnectionProfile } from "../contracts/api";

export type Region = "au" | "eu" | "na" | "uk";

export interface ResellerRecord {
  id: string;
  name: string;
  clientId: string;
  clientSecret: string;
  dateCreated: string;
}

export interface PartnerUserRecord {
  id: string;
  resellerId: string;
  email: string;
  displayName: string;
  roles: string[];
}

export interface CustomerRecord {
  id: string;
  resellerId: string;
  name: string;
  description: string | null;
  reference: string | null;
  dateCreated: string;
  enabled: boolean;
  timezone: string | null;
  countryCode: string | null;
  features: Record<string, number>;
  pbxConnectionProfile: KazooPbxConnectionProfile | null;
  syncAcdAgentWithPbx: boolean;
  sendNewUserEmail: boolean;
  sendConnectWelcomeEmail: boolean;
  tenantProfileType: string | null;
  trialDuration: number;
  /** C5: soft delete. */
  deleted: boolean;
  /** A6: once a tenant has granted a request, legacy impersonation ends for good. */
  accessGrantedOnce: boolean;
}

export interface DeviceRecord {
  deviceId: string;
  clientType: string;
}

export interface UserRecord {
  id: string;
  customerId: string;
  displayName: string;
  email: string;
  roles: string[];
  primaryTenant: string;
  isParent: boolean;
  devices: DeviceRecord[];
  /** C3: imported from the PBX directory. */
  fromPbx: boolean;
  activationEmailsSent: number;
}

export interface PbxDirectoryEntry {
  email: string;
  displayName: string;
  acdAgent?: boolean;
}

export interface AccessTenantRecord {
  tenantId: string;
  /** Stored status; `expired` is derived from expiresAt on read (A5). */
  status: Exclude<AccessStatus, "expired">;
  userIds: string[];
  mode: AccessMode;
  respondedAt: string | null;
  responseMessage: string | null;
  expiresAt: string | null;
}

export interface AccessRequestRecord {
  id: string;
  resellerId: string;
  name: string;
  message: string | null;
  associations: Array<{ userIds: string[]; tenantIds: string[]; mode: AccessMode }>;
  tenants: AccessTenantRecord[];
  dateCreated: string;
  createdBy: string;
  withdrawn: boolean;
}

export type Principal =
  | { kind: "partner"; resellerId: string; partnerUserId: string }
  /** A customer admin (A4); userId null when the tenant had no admin when the token was made. */
  | { kind: "customerAdmin"; resellerId: string; customerId: string; userId: string | null }
  | { kind: "impersonation"; resellerId: string; customerId: string; partnerUserId: string; mode: AccessMode; requestId: string | null };

export interface AccessTokenRecord {
  principal: Principal;
  expiresAt: number;
}

export interface RefreshTokenRecord {
  clientId: string;
  resellerId: string;
  partnerUserId: string;
}

export interface AuthCodeRecord {
  clientId: string;
  resellerId: string;
  partnerUserId: string;
  redirectUri: string | null;
  expiresAt: number;
}

export interface AuthSettings {
  accessTokenSeconds: number;
  rotateRefreshTokens: boolean;
}

export interface DemoCredentials {
  resellerId: string;
  clientId: string;
  clientSecret: string;
  partnerUserId: string;
  refreshToken: string;
}

export interface State {
  version: 1;
  resellers: Record<string, ResellerRecord>;
  partnerUsers: Record<string, PartnerUserRecord>;
  customers: Record<string, CustomerRecord>;
  users: Record<string, UserRecord>;
  pbxDirectory: Record<string, PbxDirectoryEntry[]>;
  accessRequests: Record<string, AccessRequestRecord>;
  accessTokens: Record<string, AccessTokenRecord>;
  refreshTokens: Record<string, RefreshTokenRecord>;
  authCodes: Record<string, AuthCodeRecord>;
  auth: AuthSettings;
  demo: DemoCredentials;
}

export const DEMO_RESELLER = "demo";
export const DEMO_PARTNER_EMAIL = "demo@reseller.test";
/** §6: the demo partner user drives every example, access requests included. */
export const DEMO_PARTNER_ROLES = ["account.user", "customer.admin", "tm.admin"];
export const DEFAULT_AUTH: AuthSettings = { accessTokenSeconds: 3600, rotateRefreshTokens: true };

export function newToken(prefix: string): string {
  return `${prefix}_${randomBytes(24).toString("base64url")}`;
}

export function newSecret(): string {
  return randomBytes(24).toString("base64url");
}

export function newId(): string {
  return randomUUID();
}

export function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "reseller";
}

/** A fresh model holding only the demo reseller; reuses `demo` credentials when given (reset). */
export function initialState(nowIso: string, demo?: DemoCredentials): State {
  const resellerId = demo?.resellerId ?? newId();
  const partnerUserId = demo?.partnerUserId ?? newId();
  const clientId = demo?.clientId ?? `demo-${randomBytes(6).toString("hex")}`;
  const credentials: DemoCredentials = {
    resellerId,
    clientId,
    clientSecret: demo?.clientSecret ?? newSecret(),
    partnerUserId,
    refreshToken: demo?.refreshToken ?? newToken("rt"),
  };
  const state: State = {
    version: 1,
    resellers: { [resellerId]: { id: resellerId, name: DEMO_RESELLER, clientId, clientSecret: credentials.clientSecret, dateCreated: nowIso } },
    partnerUsers: {
      [partnerUserId]: { id: partnerUserId, resellerId, email: DEMO_PARTNER_EMAIL, displayName: "Demo Partner", roles: [...DEMO_PARTNER_ROLES] },
    },
    customers: {},
    users: {},
    pbxDirectory: {},
    accessRequests: {},
    accessTokens: {},
    refreshTokens: {},
    authCodes: {},
    auth: { ...DEFAULT_AUTH },
    demo: credentials,
  };
  ensureDemoRefreshToken(state);
  return state;
}

/**
 * The demo refresh token is what `--json` prints and what the sandbox hands out: after a reset or
 * a restart it must work again even if a client rotated it away before.
 */
export function ensureDemoRefreshToken(state: State): void {
  state.refreshTokens[state.demo.refreshToken] = {
    clientId: state.demo.clientId,
    resellerId: state.demo.resellerId,
    partnerUserId: state.demo.partnerUserId,
  };
}

export class Store {
  state: State;
  private dirty = false;

  constructor(
    private readonly dataFile: string | undefined,
    nowIso: string,
  ) {
    this.state = (dataFile && loadState(dataFile)) || initialState(nowIso);
    ensureDemoRefreshToken(this.state);
    this.dirty = true;
    this.flush();
  }

  /** Marks the model changed; `flush` writes it (once per request). */
  touch(): void {
    this.dirty = true;
  }

  flush(): void {
    if (!this.dirty || !this.dataFile) {
      this.dirty = false;
      return;
    }
    this.dirty = false;
    writeAtomically(this.dataFile, JSON.stringify(this.state));
  }

  /** Back to the initial state, keeping the demo reseller's credentials and the demo user's live tokens. */
  reset(nowIso: string): void {
    const previous = this.state;
    const next = initialState(nowIso, previous.demo);
    const demoUser = previous.demo.partnerUserId;
    for (const [token, record] of Object.entries(previous.refreshTokens)) {
      if (record.partnerUserId === demoUser) next.refreshTokens[token] = record;
    }
    for (const [token, record] of Object.entries(previous.accessTokens)) {
      if (record.principal.kind === "partner" && record.principal.partnerUserId === demoUser) next.accessTokens[token] = record;
    }
    this.state = next;
    this.touch();
  }

  // --- queries -------------------------------------------------------------------------------

  resellerByName(name: string): ResellerRecord | undefined {
    return Object.values(this.state.resellers).find((r) => r.name === name);
  }

  resellerByClientId(clientId: string): ResellerRecord | undefined {
    return Object.values(this.state.resellers).find((r) => r.clientId === clientId);
  }

  partnerUsersOf(resellerId: string): PartnerUserRecord[] {
    return Object.values(this.state.partnerUsers).filter((p) => p.resellerId === resellerId);
  }

  /** A reseller's customer that is not deleted (isolation: another reseller's customer is "not found"). */
  activeCustomer(resellerId: string, id: string): CustomerRecord | undefined {
    const found = this.state.customers[id.toLowerCase()];
    return found && found.resellerId === resellerId && !found.deleted ? found : undefined;
  }

  activeCustomersOf(resellerId: string): CustomerRecord[] {
    return Object.values(this.state.customers).filter((c) => c.resellerId === resellerId && !c.deleted);
  }

  usersOf(customerId: string): UserRecord[] {
    return Object.values(this.state.users).filter((u) => u.customerId === customerId);
  }

  user(customerId: string, id: string): UserRecord | undefined {
    const found = this.state.users[id.toLowerCase()];
    return found && found.customerId === customerId ? found : undefined;
  }
}

function loadState(file: string): State | undefined {
  if (!fs.existsSync(file)) return undefined;
  const text = fs.readFileSync(file, "utf8");
  if (text.trim() === "") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`emulator data file ${file} is not valid JSON (${err instanceof Error ? err.message : String(err)}); remove it to start empty`);
  }
  if (!parsed || typeof parsed !== "object" || (parsed as { version?: unknown }).version !== 1) {
    throw new Error(`emulator data file ${file} is not an emulator state (version 1); remove it to start empty`);
  }
  return parsed as State;
}

/** Atomic: a reader (or a crash) never sees half a file. */
function writeAtomically(file: string, text: string): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const temp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  fs.writeFileSync(temp, text, { mode: 0o600 });
  fs.renameSync(temp, file);
}
