/**
 * The direct-API floor of the rollout benchmark, run as a process of its own: the minimal requests
 * of a fresh rollout of C customers × U users (find the customer, create it, list its users, then
 * its users, the primary admin first), sent by one process of our client with the concurrency
 * terraform and the handler use together (customers × users per customer).
 *
 * A process of its own because in the terraform run the emulator has the bench's process to
 * itself and every client is another process: a floor sharing its event loop with the emulator
 * was slowed by the emulator's work, and flattered every ratio to it (by 10 to 20 % on a 2-core
 * machine).
 *
 * `node floor-client.js <customers> <users> <customer concurrency> <user concurrency>`, with the
 * emulator's client environment; prints one JSON line `{ "ms", "cpuMs" }` (wall time from the first
 * request to the last, and this process's CPU over that time).
 */
import { createClientFromEnv } from "../src/client";
import { pool } from "../src/handler/executor";
import { ADMIN, AGENT, PBX_KEY, customerProps } from "./rollout-data";

export interface FloorFigures {
  readonly ms: number;
  readonly cpuMs: number;
}

async function floor(customers: number, users: number, customerConcurrency: number, userConcurrency: number): Promise<FloorFigures> {
  const api = createClientFromEnv(process.env, {});
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await pool([...Array(customers).keys()], customerConcurrency, async (c) => {
    const props = customerProps(`REF-${c}`);
    await api.findCustomersByReference(props.reference);
    const customer = await api.createCustomer(
      { ...props, enabled: true, pbxConnectionProfile: { _type: "KazooPbxConnectionProfile", hostRest: props.pbx.hostRest, hostWebsocket: props.pbx.hostWebsocket, accountId: props.pbx.accountId, apiKey: PBX_KEY } },
      { acceptCharges: true },
    );
    await api.listUsers(customer.id);
    const create = (u: number) => api.createUser(customer.id, { email: `user${u}@c${c}.bench.test`, displayName: `User ${u}`, roles: u === 0 ? ADMIN : AGENT }, { acceptCharges: true });
    await create(0);
    await pool([...Array(users - 1).keys()].map((u) => u + 1), userConcurrency, async (u) => {
      await create(u);
    });
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const used = process.cpuUsage(cpu);
  return { ms, cpuMs: (used.user + used.system) / 1000 };
}

if (require.main === module) {
  const [customers, users, customerConcurrency, userConcurrency] = process.argv.slice(2).map(Number);
  floor(customers, users, customerConcurrency, userConcurrency).then(
    (figures) => console.log(JSON.stringify(figures)),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : String(err));
      process.exitCode = 1;
    },
  );
}
