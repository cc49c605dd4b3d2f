/**
 * Test and demo controls under `/_emulator` (API contract §6). They answer plain JSON (no
 * envelope), need no token, and are never subject to fault injection.
 */
import { z } from "zod";
import { guid, PBX_DEVICE_ID } from "../../contracts/api";
import type { EmulatorCore } from "../core";
import { errors } from "../errors";
import { faultConfig } from "../faults";
import type { Reply, RouteTable } from "../http";
import { isAdminRoles, PARTNER_ROLES } from "../rules";
import { DEMO_PARTNER_ROLES, newId, newSecret, slug, type PartnerUserRecord, type ResellerRecord } from "../store";
import { parseOrThrow } from "../validate";
import { toApiRequest } from "./access-requests";
import { toApiCustomer } from "./customers";

const json = (body: unknown, status = 200): Reply => ({ status, body });

const pbxDirectory = z.array(
  z.object({ email: z.string().min(1).max(200), displayName: z.string().min(1).max(100), acdAgent: z.boolean().optional(), devices: z.array(z.string().regex(PBX_DEVICE_ID)).max(100).optional() }),
).max(10_000);
const partnerUsersBody = z.array(
  z.object({ email: z.string().min(1).max(200), displayName: z.string().min(1).max(100), roles: z.array(z.string()).default([]) }),
).max(1000);
const resellerBody = z.object({ name: z.string().min(1).max(100) });
const loginBody = z.object({ reseller: z.string().min(1), email: z.string().min(1) });
const clockBody = z.object({ advanceSeconds: z.number().finite() });
const authBody = z.object({ accessTokenSeconds: z.number().int().min(1).max(31_536_000).optional(), rotateRefreshTokens: z.boolean().optional() });
const userSeam = z.object({ primaryTenant: guid.optional(), isParent: z.boolean().optional(), roles: z.array(z.string()).optional(), activated: z.boolean().optional() });

export function controlRoutes(table: RouteTable, core: EmulatorCore): void {
  const store = core.store;

  table.add("GET", "/_emulator/resellers", () =>
    json(Object.values(store.state.resellers).map((r) => ({ id: r.id, name: r.name, clientId: r.clientId }))),
  );

  table.add("POST", "/_emulator/resellers", (ctx) => {
    const { name } = parseOrThrow(resellerBody, ctx.json());
    if (store.resellerByName(name)) throw errors.validation(`A reseller named '${name}' already exists.`);
    const reseller: ResellerRecord = { id: newId(), name, clientId: `${slug(name)}-${newSecret().slice(0, 8)}`, clientSecret: newSecret(), dateCreated: core.clock.iso() };
    store.put("resellers", reseller.id, reseller);
    const admin: PartnerUserRecord = {
      id: newId(),
      resellerId: reseller.id,
      email: `admin@${slug(name)}.test`,
      displayName: `${name} admin`,
      roles: ["user.admin", ...DEMO_PARTNER_ROLES],
    };
    store.put("partnerUsers", admin.id, admin);
    const tokens = core.issueTokenPair(reseller.clientId, reseller.id, admin.id);
    return json(
      {
        id: reseller.id,
        name,
        url: core.url,
        tokenUrl: `${core.url}/connect/token`,
        clientId: reseller.clientId,
        clientSecret: reseller.clientSecret,
        refreshToken: tokens.refresh_token,
        accessToken: tokens.access_token,
        partnerUser: partnerView(admin),
      },
      201,
    );
  });

  table.add("POST", "/_emulator/resellers/{name}/partner-users", (ctx) => {
    const reseller = store.resellerByName(ctx.params.name);
    if (!reseller) throw errors.notFound();
    const entries = parseOrThrow(partnerUsersBody, ctx.json());
    for (const entry of entries) {
      const unknown = entry.roles.find((r) => !(PARTNER_ROLES as readonly string[]).includes(r));
      if (unknown) throw errors.unknownRole(unknown);
    }
    // Upsert by e-mail, so seeding twice is harmless.
    const result = entries.map((entry) => {
      const existing = store.partnerUsersOf(reseller.id).find((p) => p.email.toLowerCase() === entry.email.toLowerCase());
      if (existing) {
        store.assign(existing, { displayName: entry.displayName, roles: [...new Set(entry.roles)] });
        return existing;
      }
      const created: PartnerUserRecord = { id: newId(), resellerId: reseller.id, email: entry.email, displayName: entry.displayName, roles: [...new Set(entry.roles)] };
      store.put("partnerUsers", created.id, created);
      return created;
    });
    return json({ users: result.map(partnerView) }, 201);
  });

  // A PBX account id is any string, "__proto__" and "constructor" included: the directory is a Table.
  table.add("PUT", "/_emulator/pbx/{accountId}/users", (ctx) => {
    const users = parseOrThrow(pbxDirectory, ctx.json());
    store.put("pbxDirectory", ctx.params.accountId, users.map((u) => ({ ...u })));
    return json({ accountId: ctx.params.accountId, users });
  });

  table.add("GET", "/_emulator/pbx/{accountId}/users", (ctx) => json({ accountId: ctx.params.accountId, users: store.get("pbxDirectory", ctx.params.accountId) ?? [] }));

  table.add("POST", "/_emulator/login", (ctx) => {
    const body = parseOrThrow(loginBody, ctx.json());
    const reseller = store.resellerByName(body.reseller);
    const user = reseller && store.partnerUsersOf(reseller.id).find((p) => p.email.toLowerCase() === body.email.toLowerCase());
    if (!reseller || !user) throw errors.notFound();
    const tokens = core.issueTokenPair(reseller.clientId, reseller.id, user.id);
    return json({ ...tokens, partnerUserId: user.id, clientId: reseller.clientId });
  });

  table.add("POST", "/_emulator/customers/{C}/admin-token", (ctx) => {
    const customer = store.get("customers", ctx.params.C.toLowerCase());
    if (!customer || customer.deleted) throw errors.notFound();
    // The tenant's first admin answers; a tenant without one still gets a token (its owner).
    const admin = store.usersOf(customer.id).find((u) => isAdminRoles(u.roles));
    const token = core.issueAccessToken({ kind: "customerAdmin", resellerId: customer.resellerId, customerId: customer.id, userId: admin?.id ?? null });
    return json({ access_token: token.token, token_type: "Bearer", expires_in: token.expiresIn, userId: admin?.id ?? null });
  });

  table.add("PATCH", "/_emulator/customers/{C}/users/{U}", (ctx) => {
    // A seam for what only the platform sets: a user's primary tenant (U15), read-only roles (U13),
    // and whether the user activated its account (H5: as if it followed the e-mail's link).
    const user = store.get("users", ctx.params.U.toLowerCase());
    if (!user || user.customerId !== ctx.params.C.toLowerCase()) throw errors.notFound();
    const body = parseOrThrow(userSeam, ctx.json());
    if (body.primaryTenant !== undefined) store.assign(user, { primaryTenant: body.primaryTenant.toLowerCase() });
    if (body.isParent !== undefined) store.assign(user, { isParent: body.isParent });
    if (body.roles !== undefined) store.setRoles(user, [...new Set(body.roles)]);
    if (body.activated !== undefined) store.assign(user, { activated: body.activated });
    return json({ ...user });
  });

  // H5, U14: e-mails sent per user, for tests; `?customer=<id>` keeps one customer's users.
  table.add("GET", "/_emulator/emails", (ctx) => {
    const filter = ctx.query.get("customer");
    if (filter !== null && !guid.safeParse(filter).success) throw errors.invalidValue(filter);
    const users = Object.values(store.state.users).filter((u) => filter === null || u.customerId === filter.toLowerCase());
    return json({
      users: users.map((u) => ({ customerId: u.customerId, userId: u.id, email: u.email, activation: u.activationEmailsSent, welcome: u.welcomeEmailsSent ?? 0 })),
      activation: users.reduce((n, u) => n + u.activationEmailsSent, 0),
      welcome: users.reduce((n, u) => n + (u.welcomeEmailsSent ?? 0), 0),
    });
  });

  table.add("GET", "/_emulator/clock", () => json(clockView(core)));
  table.add("POST", "/_emulator/clock", (ctx) => {
    const { advanceSeconds } = parseOrThrow(clockBody, ctx.json());
    core.clock.advance(advanceSeconds);
    return json(clockView(core));
  });

  table.add("GET", "/_emulator/faults", () => json(core.faults.current() ?? { seed: null, rules: [] }));
  table.add("PUT", "/_emulator/faults", (ctx) => {
    const config = parseOrThrow(faultConfig, ctx.json());
    core.faults.configure(config);
    return json(config);
  });
  table.add("DELETE", "/_emulator/faults", () => {
    core.faults.clear();
    return json({ seed: null, rules: [] });
  });

  table.add("GET", "/_emulator/auth", () => json({ ...store.state.auth }));
  table.add("PUT", "/_emulator/auth", (ctx) => {
    const body = parseOrThrow(authBody, ctx.json());
    if (body.accessTokenSeconds !== undefined) store.assign(store.state.auth, { accessTokenSeconds: body.accessTokenSeconds });
    if (body.rotateRefreshTokens !== undefined) store.assign(store.state.auth, { rotateRefreshTokens: body.rotateRefreshTokens });
    return json({ ...store.state.auth });
  });

  table.add("GET", "/_emulator/stats", () => json(core.stats.snapshot(core.faults.injected)));
  table.add("GET", "/_emulator/state", () => json(stateDump(core)));

  table.add("POST", "/_emulator/reset", () => {
    store.reset(core.clock.iso());
    core.stats.reset();
    core.faults.clear();
    core.faults.injected = 0;
    core.clock.resetOffset();
    return json({ status: "reset" });
  });
}

function clockView(core: EmulatorCore) {
  return { now: core.clock.iso(), offsetSeconds: core.clock.offsetSeconds };
}

function partnerView(p: PartnerUserRecord) {
  return { id: p.id, resellerId: p.resellerId, email: p.email, displayName: p.displayName, roles: [...p.roles] };
}

/** Every object, for assertions; secrets redacted (C4: the Kazoo apiKey never leaves through here). */
function stateDump(core: EmulatorCore) {
  const s = core.store.state;
  const resellerName = (id: string) => core.store.get("resellers", id)?.name ?? null;
  return {
    now: core.clock.iso(),
    region: core.region,
    auth: { ...s.auth },
    resellers: Object.values(s.resellers).map((r) => ({ id: r.id, name: r.name, clientId: r.clientId, dateCreated: r.dateCreated })),
    partnerUsers: Object.values(s.partnerUsers).map((p) => ({ ...partnerView(p), reseller: resellerName(p.resellerId) })),
    customers: Object.values(s.customers).map((c) => {
      const view = toApiCustomer(c);
      const profile = view.pbxConnectionProfile as Record<string, unknown> | null;
      if (profile && "apiKey" in profile) profile.apiKey = "***";
      return { ...view, reseller: resellerName(c.resellerId), deleted: c.deleted, accessGrantedOnce: c.accessGrantedOnce };
    }),
    users: Object.values(s.users).map((u) => ({ ...u, roles: [...u.roles], devices: u.devices.map((d) => ({ ...d })) })),
    pbxDirectory: s.pbxDirectory,
    accessRequests: Object.values(s.accessRequests).map((r) => ({ ...toApiRequest(r, core), reseller: resellerName(r.resellerId), withdrawn: r.withdrawn })),
  };
}
