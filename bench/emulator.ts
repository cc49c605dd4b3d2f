/**
 * `npx tsx bench/emulator.ts [memory|data|both]`: how the emulator's cost per request grows with
 * its size, at the shape of the 10,000-user benchmark (200 customers × 50 users, and single
 * customers of 5,000–10,000 users), with BENCH_CONCURRENCY (default 20) requests in flight.
 *
 * The emulator runs in this process on 127.0.0.1, port 0; nothing leaves loopback, and the work is
 * a fixed amount, so the script stops by itself. `data` runs the same phases with `--data FILE` (a
 * temporary file). Figures are wall time per request; read the ratios, not the absolute times
 * (client and server share one event loop, on shared machines). Prints; never fails on a figure.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { startEmulator, type RunningEmulator } from "../src/emulator/server";

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 20);
const FLEET_CUSTOMERS = 200;
const FLEET_USERS = 50;
const BIG_USERS = 10_000;
const PAGE_SIZE = 1000;
const ADMIN = ["customer.user", "user.admin"];

interface Answer {
  status: number;
  body: { data?: unknown } | undefined;
}

class Api {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  token = "";

  constructor(private readonly base: URL) {}

  request(method: string, pathAndQuery: string, body?: unknown, charges = false): Promise<Answer> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = {};
    if (payload !== undefined) headers["content-type"] = "application/json";
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (charges) headers["accept-charges"] = "true";
    const target = pathAndQuery.startsWith("/_emulator") ? pathAndQuery : `/api/v1.0${pathAndQuery}`;
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: this.base.hostname, port: this.base.port, method, path: target, headers, agent: this.agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Answer["body"]) : undefined });
          });
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(payload);
    });
  }

  async expect(status: number, method: string, pathAndQuery: string, body?: unknown, charges = false): Promise<Answer> {
    const answer = await this.request(method, pathAndQuery, body, charges);
    if (answer.status !== status) throw new Error(`${method} ${pathAndQuery} → ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer;
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Runs the tasks with at most CONCURRENCY in flight; resolves in task order. */
async function pool<T>(tasks: Array<() => Promise<T>>, limit = CONCURRENCY): Promise<T[]> {
  const results = new Array<T>(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;

async function withEmulator<T>(dataFile: string | undefined, body: (api: Api, emulator: RunningEmulator) => Promise<T>): Promise<T> {
  const emulator = await startEmulator({ port: 0, host: "127.0.0.1", dataFile });
  const api = new Api(new URL(emulator.url));
  try {
    const login = await api.expect(200, "POST", "/_emulator/login", { reseller: "demo", email: "demo@reseller.test" });
    api.token = (login.body as unknown as { access_token: string }).access_token;
    return await body(api, emulator);
  } finally {
    api.close();
    await emulator.close();
  }
}

async function createCustomer(api: Api, reference: string): Promise<string> {
  const answer = await api.expect(201, "POST", "/customers", { name: `Bench customer ${reference}`, description: "bench", reference }, true);
  return (answer.body?.data as { id: string }).id;
}

function createUser(api: Api, customerId: string, email: string, roles: string[] = []): Promise<Answer> {
  return api.expect(201, "POST", `/customers/${customerId}/users`, { email, displayName: email.split("@")[0], roles });
}

async function userIds(api: Api, customerId: string): Promise<string[]> {
  const ids: string[] = [];
  for (let pageIndex = 0; ; pageIndex++) {
    const page = await api.expect(200, "GET", `/customers/${customerId}/users?pageIndex=${pageIndex}&pageSize=${PAGE_SIZE}`);
    const items = page.body?.data as Array<{ id: string }>;
    ids.push(...items.map((u) => u.id));
    if (items.length < PAGE_SIZE) return ids;
  }
}

/** Per-request cost of `count` role patches (alternating two role sets) spread over `ids`. */
async function patchCost(api: Api, customerId: string, ids: string[], count: number): Promise<number> {
  const tasks = Array.from({ length: count }, (_, i) => () => {
    // Skip the admin (ids[0]) so U4 never refuses.
    const id = ids[1 + (i % (ids.length - 1))];
    const roles = i % 2 === 0 ? ["customer.user", "customer.settings"] : ["customer.user"];
    return api.expect(200, "PATCH", `/customers/${customerId}/users/${id}`, [{ op: "replace", path: "/roles", value: roles }]);
  });
  return (await timed(() => pool(tasks))) / count;
}

const reference = (i: number) => `R${String(i).padStart(4, "0")}`;

async function filterCost(api: Api, customers: number, count: number): Promise<number> {
  const tasks = Array.from({ length: count }, (_, i) => async () => {
    const answer = await api.expect(200, "GET", `/customers?filter=${reference((i * 7) % customers)}`);
    if ((answer.body?.data as unknown[]).length !== 1) throw new Error("filter should match exactly one customer");
  });
  return (await timed(() => pool(tasks))) / count;
}

/** 200 customers × 50 users, built in rounds of 20 customers; lookups measured after the first and last round. */
async function fleet(dataFile: string | undefined): Promise<void> {
  await withEmulator(dataFile, async (api) => {
    const rounds = FLEET_CUSTOMERS / 20;
    let buildMs = 0;
    let firstCustomer = "";
    let firstIds: string[] = [];
    const filter: number[] = [];
    const patch: number[] = [];
    for (let round = 0; round < rounds; round++) {
      buildMs += await timed(async () => {
        const ids = await pool(Array.from({ length: 20 }, (_, i) => () => createCustomer(api, reference(round * 20 + i))));
        await pool(ids.map((id) => () => createUser(api, id, "admin@bench.test", ADMIN)));
        const users = ids.flatMap((id, c) => Array.from({ length: FLEET_USERS - 1 }, (_, u) => () => createUser(api, id, `u${u}.c${round * 20 + c}@bench.test`)));
        await pool(users);
        if (round === 0) firstCustomer = ids[0];
      });
      if (round === 0 || round === rounds - 1) {
        if (round === 0) firstIds = await userIds(api, firstCustomer);
        filter.push(await filterCost(api, (round + 1) * 20, 200));
        patch.push(await patchCost(api, firstCustomer, firstIds, 200));
      }
    }
    const requests = FLEET_CUSTOMERS * (FLEET_USERS + 1);
    console.log(`  fleet ${FLEET_CUSTOMERS} customers × ${FLEET_USERS} users: ${(buildMs / 1000).toFixed(1)} s for ${requests} creates (${fmt(buildMs / requests)} ms each)`);
    console.log(`  GET /customers?filter=<reference>: ${fmt(filter[0])} ms at 20 customers, ${fmt(filter[1])} ms at ${FLEET_CUSTOMERS} → ${ratio(filter[1], filter[0])}`);
    console.log(`  PATCH roles, 50-user customer: ${fmt(patch[0])} ms with 1,000 users stored, ${fmt(patch[1])} ms with 10,000 → ${ratio(patch[1], patch[0])}`);
  });
}

/** One customer grown to 10,000 users, 1,000 at a time; list and patch measured at 1,000 and 5,000. */
async function bigCustomer(dataFile: string | undefined): Promise<void> {
  await withEmulator(dataFile, async (api) => {
    const customerId = await createCustomer(api, "BIG");
    await createUser(api, customerId, "admin@big.test", ADMIN);
    const batches: number[] = [];
    const list: Record<number, number> = {};
    const patch: Record<number, number> = {};
    let created = 1;
    while (created < BIG_USERS) {
      const target = Math.min(BIG_USERS, Math.floor(created / 1000) * 1000 + 1000);
      const from = created;
      const count = target - from;
      const ms = await timed(() => pool(Array.from({ length: count }, (_, i) => () => createUser(api, customerId, `user${from + i}@big.test`))));
      batches.push((ms / count) * 1000);
      created = target;
      if (created === 1000 || created === 5000) {
        let ids: string[] = [];
        list[created] = await timed(async () => (ids = await userIds(api, customerId)));
        if (ids.length !== created || new Set(ids).size !== created) throw new Error(`paging returned ${ids.length} ids (${new Set(ids).size} distinct) of ${created}`);
        patch[created] = await patchCost(api, customerId, ids, 200);
      }
    }
    const first = batches[0];
    const last = batches[batches.length - 1];
    console.log(`  creates per 1,000 in one customer: ${batches.map((b, i) => `${i + 1}k ${fmt(b)}`).join(", ")} ms`);
    console.log(`    at 10,000 vs at 1,000 users: ${fmt(last)} vs ${fmt(first)} ms → ${ratio(last, first)}`);
    console.log(
      `  list all users (pageSize ${PAGE_SIZE}): ${fmt(list[1000])} ms for 1,000, ${fmt(list[5000])} ms for 5,000 → ${ratio(list[5000] / 5000, list[1000] / 1000)} per user`,
    );
    console.log(`  PATCH roles of one user: ${fmt(patch[1000])} ms in a 1,000-user customer, ${fmt(patch[5000])} ms in a 5,000-user one → ${ratio(patch[5000], patch[1000])}`);
  });
}

/** A small run of every call the phases measure, so the first figures are not the JIT's warm-up. */
async function warmUp(): Promise<void> {
  await withEmulator(undefined, async (api) => {
    const ids = await pool(Array.from({ length: 20 }, (_, i) => () => createCustomer(api, reference(i))));
    await pool(ids.map((id) => () => createUser(api, id, "admin@warm.test", ADMIN)));
    await pool(ids.flatMap((id, c) => Array.from({ length: 49 }, (_, u) => () => createUser(api, id, `u${u}.c${c}@warm.test`))));
    await filterCost(api, 20, 200);
    await patchCost(api, ids[0], await userIds(api, ids[0]), 200);
  });
}

async function main(): Promise<void> {
  const mode = process.argv[2] ?? "both";
  if (!["memory", "data", "both"].includes(mode)) throw new Error(`usage: npx tsx bench/emulator.ts [memory|data|both]; got "${mode}"`);
  console.log(`node ${process.version}; ${os.cpus().length} cores; ${CONCURRENCY} requests in flight`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dimensions-bench-emulator-"));
  try {
    await warmUp();
    for (const persisted of mode === "both" ? [false, true] : [mode === "data"]) {
      console.log(persisted ? "with --data FILE:" : "in memory:");
      const file = (name: string) => (persisted ? path.join(dir, name) : undefined);
      const start = process.hrtime.bigint();
      await fleet(file("fleet.json"));
      await bigCustomer(file("big.json"));
      if (persisted) {
        // Written on close: every user made it to the file.
        const text = fs.readFileSync(path.join(dir, "big.json"), "utf8");
        const users = Object.keys((JSON.parse(text) as { users: object }).users).length;
        if (users !== BIG_USERS) throw new Error(`the data file holds ${users} users, not ${BIG_USERS}`);
        console.log(`  data file of the 10,000-user customer: ${(text.length / 1e6).toFixed(1)} MB, all ${users} users in it after close`);
      }
      console.log(`  (phase total ${(Number(process.hrtime.bigint() - start) / 1e9).toFixed(1)} s)`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
