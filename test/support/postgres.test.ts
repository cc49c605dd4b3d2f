import { Client } from "pg";
import { describePostgres, startPostgres, type PostgresServer } from "./postgres";

// The throwaway server every PostgreSQL-backed test relies on: loopback only, password auth.
describePostgres("throwaway PostgreSQL server", () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  test("accepts password connections on 127.0.0.1 and creates fresh databases", async () => {
    const url = await server.createDatabase("support_check");
    const client = new Client({ connectionString: url });
    await client.connect();
    const row = await client.query<{ db: string; addr: string }>("select current_database() as db, inet_server_addr()::text as addr");
    await client.end();
    expect(row.rows[0]).toEqual({ db: "support_check", addr: "127.0.0.1/32" });
  });

  test("refuses a wrong password", async () => {
    const wrong = server.url.replace(/:[^:@/]+@/, ":wrong@");
    const client = new Client({ connectionString: wrong });
    await expect(client.connect()).rejects.toThrow(/password authentication failed/);
    await client.end().catch(() => undefined);
  });

  test("listens on loopback only", async () => {
    const settings = new Client({ connectionString: server.url });
    await settings.connect();
    const row = await settings.query<{ listen_addresses: string }>("show listen_addresses");
    await settings.end();
    expect(row.rows[0]?.listen_addresses).toBe("127.0.0.1");
  });
});
