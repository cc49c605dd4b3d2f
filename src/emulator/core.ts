/**
 * The emulator's shared services, handed to every handler: the store, the clock, the region,
 * stats, faults, and the token operations of §2 (issue, rotate, authenticate).
 */
import { OAUTH_SCOPE, type AccessStatus } from "../contracts/api";
import { EmulatorClock } from "./clock";
import { errors } from "./errors";
import { FaultInjector } from "./faults";
import { Stats } from "./stats";
import { newToken, type AccessTenantRecord, type Principal, type Region, type Store } from "./store";

export interface TokenAnswer {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  refresh_token: string;
  scope: string;
}

export class EmulatorCore {
  readonly stats = new Stats();
  readonly faults = new FaultInjector();
  /** Set once the server listens. */
  url = "";

  constructor(
    readonly store: Store,
    readonly clock: EmulatorClock,
    readonly region: Region,
  ) {}

  /** An access token for any principal, expiring on the emulator clock. */
  issueAccessToken(principal: Principal): { token: string; expiresIn: number } {
    const expiresIn = this.store.state.auth.accessTokenSeconds;
    const token = newToken("at");
    this.pruneExpiredTokens();
    this.store.put("accessTokens", token, { principal, expiresAt: this.clock.now() + expiresIn * 1000 });
    return { token, expiresIn };
  }

  /** Access + refresh token of a partner user, as the token endpoint answers. */
  issueTokenPair(clientId: string, resellerId: string, partnerUserId: string, refreshToken?: string): TokenAnswer {
    const access = this.issueAccessToken({ kind: "partner", resellerId, partnerUserId });
    const refresh = refreshToken ?? newToken("rt");
    this.store.put("refreshTokens", refresh, { clientId, resellerId, partnerUserId });
    return { access_token: access.token, token_type: "Bearer", expires_in: access.expiresIn, refresh_token: refresh, scope: OAUTH_SCOPE };
  }

  /**
   * §1: missing, unknown or expired bearer → 401 with an empty body. `authorization` holds every
   * Authorization header of the request: more than one is ambiguous, so it is invalid too.
   */
  authenticate(authorization: readonly string[] | undefined): Principal {
    if (authorization?.length !== 1) throw errors.unauthorized();
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization[0]);
    if (!match) throw errors.unauthorized();
    const record = this.store.get("accessTokens", match[1]);
    if (!record || record.expiresAt <= this.clock.now()) throw errors.unauthorized();
    const principal = record.principal;
    // The principal must still exist (a reset or a removed partner user ends its tokens).
    if (principal.kind !== "customerAdmin" && !this.store.get("partnerUsers", principal.partnerUserId)) throw errors.unauthorized();
    if (!this.store.get("resellers", principal.resellerId)) throw errors.unauthorized();
    return principal;
  }

  /** A5: a grant past its expiry reads as `expired`. */
  effectiveStatus(tenant: AccessTenantRecord): AccessStatus {
    if (tenant.status === "granted" && tenant.expiresAt !== null && Date.parse(tenant.expiresAt) <= this.clock.now()) return "expired";
    return tenant.status;
  }

  private pruneExpiredTokens(): void {
    const now = this.clock.now();
    for (const [token, record] of Object.entries(this.store.state.accessTokens)) {
      if (record.expiresAt <= now) this.store.remove("accessTokens", token);
    }
  }
}
