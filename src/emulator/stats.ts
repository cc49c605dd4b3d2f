/**
 * Counters for `GET /_emulator/stats`: calls per route template and status (what tests and the
 * benchmark assert on, e.g. "one token grant per apply"), token grants by grant type.
 */
export interface StatsSnapshot {
  /** Every request to /api/v1.0 and /connect (not /_emulator). */
  totalRequests: number;
  /** Requests to /api/v1.0 only. */
  apiRequests: number;
  /** `"GET /customers/{C}/users 200": 3`; an injected drop counts as status `dropped`. */
  calls: Record<string, number>;
  /** Successful grants by grant type, e.g. `{ "refresh_token": 2 }`. */
  tokenGrants: Record<string, number>;
  faultsInjected: number;
}

export class Stats {
  private totalRequests = 0;
  private apiRequests = 0;
  private calls: Record<string, number> = {};
  private tokenGrants: Record<string, number> = {};

  record(method: string, template: string, status: number | "dropped", isApi: boolean): void {
    this.totalRequests++;
    if (isApi) this.apiRequests++;
    const key = `${method} ${template} ${status}`;
    this.calls[key] = (this.calls[key] ?? 0) + 1;
  }

  grant(grantType: string): void {
    this.tokenGrants[grantType] = (this.tokenGrants[grantType] ?? 0) + 1;
  }

  snapshot(faultsInjected: number): StatsSnapshot {
    return {
      totalRequests: this.totalRequests,
      apiRequests: this.apiRequests,
      calls: { ...this.calls },
      tokenGrants: { ...this.tokenGrants },
      faultsInjected,
    };
  }

  reset(): void {
    this.totalRequests = 0;
    this.apiRequests = 0;
    this.calls = {};
    this.tokenGrants = {};
  }
}
