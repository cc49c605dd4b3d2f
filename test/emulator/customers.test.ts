/**
 * Customers (api-contract §3; rules C1, C2, C3, C5, C6, U12) and what every API route shares:
 * paging, malformed GUIDs, reseller isolation.
 */
import type { RunningEmulator } from "../../src/emulator/server";
import { call, Client, demoClient, start, uniqueRef, useEmulator } from "./support";

let emulator: RunningEmulator;
let api: Client;

const KAZOO = { _type: "KazooPbxConnectionProfile", hostRest: "https://pbx.test", hostWebsocket: "wss://pbx.test", accountId: "acct-1", apiKey: "kazoo-secret-42" };
const DIRECTORY = [
  { email: "reception@acme.test", displayName: "Reception" },
  { email: "agent@acme.test", displayName: "Agent", acdAgent: true },
];

useEmulator((ctx) => {
  emulator = ctx.emulator;
  if (ctx.demo) api = ctx.demo;
});


interface UserItem {
  email: string;
  roles?: string[];
  id: string;
}

async function usersWithRoles(customerId: string): Promise<Map<string, string[]>> {
  const list = await api.call<{ data: UserItem[] }>("GET", `/customers/${customerId}/users`);
  const rows = await Promise.all(list.body.data.map((u) => api.roles(customerId, u.id).then((roles) => [u.email, roles] as const)));
  return new Map(rows);
}

describe("C6: charges", () => {
  test("C6: GIVEN accept-charges: true WHEN a customer is created THEN 201 with Location and the new id", async () => {
    const answer = await api.call<{ data: { id: string } }>("POST", "/customers", { name: "Acme", description: "d", reference: uniqueRef() }, { charges: true });

    expect(answer.status).toBe(201);
    expect(answer.headers.get("location")).toBe(`/api/v1.0/customers/${answer.body.data.id}`);
  });

  test("C6: GIVEN no accept-charges header WHEN a customer is created THEN 402 ChargesNotAccepted and nothing is created", async () => {
    const reference = uniqueRef();
    const answer = await api.call("POST", "/customers", { name: "Acme", description: "d", reference });

    expect(answer.status).toBe(402);
    expect(answer.body.errorCode).toBe("ChargesNotAccepted");
    const listed = await api.call<{ data: unknown[] }>("GET", `/customers?filter=${reference}`);
    expect(listed.body.data).toHaveLength(0);
  });
});

describe("C1: customer fields", () => {
  test("C1: GIVEN a name of exactly 100 characters WHEN created THEN 201", async () => {
    const answer = await api.call("POST", "/customers", { name: "n".repeat(100), description: "d", reference: uniqueRef() }, { charges: true });

    expect(answer.status).toBe(201);
  });

  test("C1: GIVEN a name of 101 characters WHEN created THEN 400 ValidationFailed naming the field and its limit", async () => {
    const answer = await api.call("POST", "/customers", { name: "n".repeat(101), description: "d", reference: uniqueRef() }, { charges: true });

    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: 400, errorCode: "ValidationFailed", status: "error" });
    expect(answer.body.message).toContain("'name'");
    expect(answer.body.message).toContain("100");
  });

  test("C1: GIVEN no description WHEN created THEN 400 ValidationFailed saying it is required", async () => {
    const answer = await api.call("POST", "/customers", { name: "Acme", reference: uniqueRef() }, { charges: true });

    expect(answer.body.errorCode).toBe("ValidationFailed");
    expect(answer.body.message).toBe("The field 'description' is required.");
  });

  test("C1: GIVEN a timezone that is not an IANA zone WHEN created THEN 400 ValidationFailed naming timezone", async () => {
    const answer = await api.call("POST", "/customers", { name: "Acme", description: "d", reference: uniqueRef(), timezone: "Mars/Olympus" }, { charges: true });

    expect(answer.status).toBe(400);
    expect(answer.body.message).toContain("'timezone'");
  });

  test("C1: GIVEN a countryCode of 6 characters WHEN created THEN 400 ValidationFailed naming countryCode and 5", async () => {
    const answer = await api.call("POST", "/customers", { name: "Acme", description: "d", reference: uniqueRef(), countryCode: "GBRGBR" }, { charges: true });

    expect(answer.status).toBe(400);
    expect(answer.body.message).toContain("'countryCode'");
    expect(answer.body.message).toContain("5");
  });
});

describe("C2: reference uniqueness", () => {
  test("C2: GIVEN an active customer with a reference WHEN another is created with the same reference THEN 400 ValidationFailed saying so", async () => {
    await api.createCustomer({ reference: "ACME-1" });

    const answer = await api.call("POST", "/customers", { name: "Other", description: "d", reference: "ACME-1" }, { charges: true });

    expect(answer.status).toBe(400);
    expect(answer.body.errorCode).toBe("ValidationFailed");
    expect(answer.body.message).toContain("reference 'ACME-1' already exists");
  });

  test("C2: GIVEN the customer holding a reference was deleted WHEN a new one takes the reference THEN 201", async () => {
    const old = await api.createCustomer({ reference: "ACME-2" });
    await api.call("DELETE", `/customers/${old}`);

    const answer = await api.call("POST", "/customers", { name: "Again", description: "d", reference: "ACME-2" }, { charges: true });

    expect(answer.status).toBe(201);
  });
});

describe("C3 and U12: PBX import", () => {
  beforeEach(async () => {
    await call(emulator, "PUT", "/_emulator/pbx/acct-1/users", DIRECTORY);
  });

  test("C3 (compliant): GIVEN a PBX directory WHEN a customer is created with that Kazoo account THEN every PBX user is imported holding only customer.user.pbx", async () => {
    const id = await api.createCustomer({ pbxConnectionProfile: KAZOO });

    const users = await usersWithRoles(id);

    expect(Object.fromEntries(users)).toEqual({ "reception@acme.test": ["customer.user.pbx"], "agent@acme.test": ["customer.user.pbx"] });
  });

  test("C3: GIVEN no PBX profile WHEN a customer is created THEN no user is imported", async () => {
    const id = await api.createCustomer();

    expect((await usersWithRoles(id)).size).toBe(0);
  });

  test("C3/U10: GIVEN the UK region WHEN PBX users are imported THEN they hold customer.user.uc.essential instead", async () => {
    const uk = await start({ region: "uk" });
    try {
      await call(uk, "PUT", "/_emulator/pbx/acct-1/users", DIRECTORY);
      const client = await demoClient(uk);
      const id = await client.createCustomer({ pbxConnectionProfile: KAZOO });
      const list = await client.call<{ data: UserItem[] }>("GET", `/customers/${id}/users`);

      const roles = await Promise.all(list.body.data.map((u) => client.roles(id, u.id)));

      expect(roles).toEqual([["customer.user.uc.essential"], ["customer.user.uc.essential"]]);
    } finally {
      await uk.close();
    }
  });

  test("U12: GIVEN syncAcdAgentWithPbx on WHEN PBX users are imported THEN ACD agents also get customer.user.acd", async () => {
    const id = await api.createCustomer({ pbxConnectionProfile: KAZOO, syncAcdAgentWithPbx: true });

    const users = await usersWithRoles(id);

    expect(users.get("agent@acme.test")).toEqual(["customer.user.acd", "customer.user.pbx"]);
    expect(users.get("reception@acme.test")).toEqual(["customer.user.pbx"]);
  });

  test("U12: GIVEN syncAcdAgentWithPbx off WHEN PBX users are imported THEN no one gets customer.user.acd", async () => {
    const id = await api.createCustomer({ pbxConnectionProfile: KAZOO });

    expect((await usersWithRoles(id)).get("agent@acme.test")).toEqual(["customer.user.pbx"]);
  });

  test("U12: GIVEN the sync off WHEN it is patched on THEN the PBX's ACD agents get customer.user.acd", async () => {
    const id = await api.createCustomer({ pbxConnectionProfile: KAZOO });

    await api.call("PATCH", `/customers/${id}`, [{ op: "replace", path: "/syncAcdAgentWithPbx", value: true }]);

    expect((await usersWithRoles(id)).get("agent@acme.test")).toEqual(["customer.user.acd", "customer.user.pbx"]);
  });

  test("C4: GIVEN a customer with a Kazoo apiKey WHEN the emulator state is dumped THEN the apiKey is redacted", async () => {
    await api.createCustomer({ pbxConnectionProfile: KAZOO });

    const state = await call(emulator, "GET", "/_emulator/state");

    expect(state.text).not.toContain("kazoo-secret-42");
  });
});

describe("C5: soft delete", () => {
  test("C5: GIVEN a customer WHEN it is deleted THEN 200, GET answers 404 NotFound and it is no longer listed", async () => {
    const id = await api.createCustomer();

    const deleted = await api.call("DELETE", `/customers/${id}`);
    const get = await api.call("GET", `/customers/${id}`);
    const list = await api.call<{ data: Array<{ id: string }> }>("GET", "/customers");

    expect(deleted.status).toBe(200);
    expect(get.status).toBe(404);
    expect(get.body).toMatchObject({ errorCode: "NotFound", message: "Not Found" });
    expect(list.body.data.map((c) => c.id)).not.toContain(id);
  });

  test("C5: GIVEN a deleted customer WHEN the state is dumped THEN it is kept, disabled and flagged deleted", async () => {
    const id = await api.createCustomer({ enabled: true });
    await api.call("DELETE", `/customers/${id}`);

    const state = await call<{ customers: Array<{ id: string; deleted: boolean; enabled: boolean }> }>(emulator, "GET", "/_emulator/state");

    expect(state.body.customers.find((c) => c.id === id)).toMatchObject({ deleted: true, enabled: false });
  });

  test("C5: GIVEN an active customer WHEN it is read THEN it is not flagged deleted", async () => {
    const id = await api.createCustomer({ enabled: true });

    const answer = await api.call<{ data: Record<string, unknown> }>("GET", `/customers/${id}`);

    expect(answer.body.data).toMatchObject({ id, enabled: true });
    expect(answer.body.data.deleted).toBeUndefined();
  });
});

describe("customer JSON Patch", () => {
  test("GIVEN a customer WHEN listed paths are replaced THEN the customer changes and the answer has no data", async () => {
    const id = await api.createCustomer();

    const answer = await api.call("PATCH", `/customers/${id}`, [
      { op: "replace", path: "/name", value: "Renamed" },
      { op: "replace", path: "/enabled", value: true },
      { op: "replace", path: "/timezone", value: "Europe/Paris" },
    ]);
    const after = await api.call<{ data: Record<string, unknown> }>("GET", `/customers/${id}`);

    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ status: "success", timestamp: expect.any(String) });
    expect(after.body.data).toMatchObject({ name: "Renamed", enabled: true, timezone: "Europe/Paris" });
  });

  test("GIVEN a path that is not patchable WHEN patched THEN 400 naming the path segment, and nothing changes", async () => {
    const id = await api.createCustomer({ name: "Before" });

    const answer = await api.call("PATCH", `/customers/${id}`, [
      { op: "replace", path: "/name", value: "After" },
      { op: "replace", path: "/features", value: { agent: 2 } },
    ]);
    const after = await api.call<{ data: { name: string } }>("GET", `/customers/${id}`);

    expect(answer.status).toBe(400);
    expect(answer.body.message).toBe("The target location specified by path segment 'features' was not found.");
    expect(after.body.data.name).toBe("Before");
  });

  test("C1: GIVEN a patch that makes the name too long WHEN applied THEN 400 ValidationFailed naming the field", async () => {
    const id = await api.createCustomer();

    const answer = await api.call("PATCH", `/customers/${id}`, [{ op: "replace", path: "/name", value: "x".repeat(101) }]);

    expect(answer.body.errorCode).toBe("ValidationFailed");
    expect(answer.body.message).toContain("'name'");
  });

  test("C2: GIVEN two customers WHEN one is patched to the other's reference THEN 400 ValidationFailed", async () => {
    await api.createCustomer({ reference: "TAKEN" });
    const id = await api.createCustomer();

    const answer = await api.call("PATCH", `/customers/${id}`, [{ op: "replace", path: "/reference", value: "TAKEN" }]);

    expect(answer.body.errorCode).toBe("ValidationFailed");
  });

  test("C2: GIVEN a customer whose reference was patched WHEN a new customer takes the old reference THEN 201, and the new reference stays taken", async () => {
    const moved = await api.createCustomer({ reference: "OLD-REF" });
    await api.call("PATCH", `/customers/${moved}`, [{ op: "replace", path: "/reference", value: "NEW-REF" }]);

    const old = await api.call("POST", "/customers", { name: "Old", description: "d", reference: "OLD-REF" }, { charges: true });
    const taken = await api.call("POST", "/customers", { name: "New", description: "d", reference: "NEW-REF" }, { charges: true });

    expect(old.status).toBe(201);
    expect(taken.body).toMatchObject({ errorCode: "ValidationFailed", data: { id: moved } });
  });

  test("C2: GIVEN a customer WHEN it is patched to its own reference THEN 200", async () => {
    const id = await api.createCustomer({ reference: "SAME" });

    const answer = await api.call("PATCH", `/customers/${id}`, [{ op: "replace", path: "/reference", value: "SAME" }]);

    expect(answer.status).toBe(200);
  });
});

describe("paging and filter (§1.2)", () => {
  test("GIVEN 5 customers WHEN read 2 at a time THEN pages of 2, 2 and a short last page of 1", async () => {
    for (let i = 0; i < 5; i++) await api.createCustomer({ name: `Page ${i}` });

    const pages = await Promise.all([0, 1, 2].map((i) => api.call<{ data: unknown[]; page_size: number; page_index: number }>("GET", `/customers?pageSize=2&pageIndex=${i}`)));

    expect(pages.map((p) => p.body.data.length)).toEqual([2, 2, 1]);
    expect(pages[1].body).toMatchObject({ page_size: 2, page_index: 1, status: "success" });
  });

  test("GIVEN no paging parameters WHEN listing THEN the page size is 1000", async () => {
    const answer = await api.call("GET", "/customers");

    expect(answer.body).toMatchObject({ page_size: 1000, page_index: 0 });
  });

  test.each(["0", "1001", "-1", "abc"])("GIVEN pageSize=%s WHEN listing THEN 400 ValidationFailed", async (size) => {
    const answer = await api.call("GET", `/customers?pageSize=${size}`);

    expect(answer.status).toBe(400);
    expect(answer.body.errorCode).toBe("ValidationFailed");
  });

  test("GIVEN customers WHEN filtered THEN the match is a case-insensitive contains on name or reference", async () => {
    await api.createCustomer({ name: "Blue Harbour", reference: "X-1" });
    await api.createCustomer({ name: "Red", reference: "harbour-2" });
    await api.createCustomer({ name: "Green", reference: "X-3" });

    const answer = await api.call<{ data: Array<{ name: string }> }>("GET", "/customers?filter=HARBOUR");

    expect(answer.body.data.map((c) => c.name).sort()).toEqual(["Blue Harbour", "Red"]);
  });

  test("GIVEN a customer's reference was patched and another was deleted WHEN filtered THEN only active customers match, by their current reference", async () => {
    const moved = await api.createCustomer({ name: "Moved", reference: "FLT-OLD" });
    await api.call("PATCH", `/customers/${moved}`, [{ op: "replace", path: "/reference", value: "FLT-NEW" }]);
    const deleted = await api.createCustomer({ name: "Deleted", reference: "FLT-NEW-2" });
    await api.call("DELETE", `/customers/${deleted}`);

    const byOld = await api.call<{ data: unknown[] }>("GET", "/customers?filter=flt-old");
    const byNew = await api.call<{ data: Array<{ id: string }> }>("GET", "/customers?filter=flt-new");

    expect(byOld.body.data).toEqual([]);
    expect(byNew.body.data.map((c) => c.id)).toEqual([moved]);
  });
});

describe("ids in paths (§1)", () => {
  test("GIVEN a malformed GUID WHEN used in a path THEN 400 with the vendor's message", async () => {
    const answer = await api.call("GET", "/customers/not-a-guid/users");

    expect(answer.status).toBe(400);
    expect(answer.body.message).toBe("The value 'not-a-guid' is not valid.");
  });

  test("GIVEN a well-formed but unknown GUID WHEN read THEN 404 NotFound", async () => {
    const answer = await api.call("GET", "/customers/00000000-0000-0000-0000-000000000000");

    expect(answer.status).toBe(404);
    expect(answer.body.errorCode).toBe("NotFound");
  });
});

describe("reseller isolation", () => {
  test("GIVEN two resellers WHEN one lists customers THEN it sees none of the other's", async () => {
    const other = await call<{ accessToken: string }>(emulator, "POST", "/_emulator/resellers", { name: "globex" });
    const otherApi = new Client(emulator, other.body.accessToken);
    await otherApi.createCustomer({ name: "Globex Secret" });

    const mine = await api.call<{ data: Array<{ name: string }> }>("GET", "/customers");

    expect(mine.body.data.map((c) => c.name)).not.toContain("Globex Secret");
  });

  test("GIVEN another reseller's customer id WHEN read, patched, deleted or its users listed THEN 404", async () => {
    const other = await call<{ accessToken: string }>(emulator, "POST", "/_emulator/resellers", { name: "initech" });
    const foreign = await new Client(emulator, other.body.accessToken).createCustomer();

    const answers = await Promise.all([
      api.call("GET", `/customers/${foreign}`),
      api.call("PATCH", `/customers/${foreign}`, [{ op: "replace", path: "/name", value: "x" }]),
      api.call("DELETE", `/customers/${foreign}`),
      api.call("GET", `/customers/${foreign}/users`),
    ]);

    expect(answers.map((a) => a.status)).toEqual([404, 404, 404, 404]);
  });

  test("GIVEN a new reseller WHEN its refresh token is exchanged with its own client THEN it works", async () => {
    const other = await call<{ clientId: string; clientSecret: string; refreshToken: string; tokenUrl: string }>(emulator, "POST", "/_emulator/resellers", { name: "umbrella" });

    const response = await fetch(other.body.tokenUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: other.body.refreshToken, client_id: other.body.clientId, client_secret: other.body.clientSecret }),
    });

    expect(response.status).toBe(200);
  });
});
