/**
 * The server never crashes on any input: odd methods, paths, bodies and raw malformed HTTP all get
 * an answer (or a closed connection), and the emulator keeps serving.
 */
import * as net from "node:net";
import type { RunningEmulator } from "../../src/emulator/server";
import { call, demoClient, start } from "./support";

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await start();
});

afterAll(async () => {
  await emulator.close();
});

function rawRequest(text: string): Promise<string> {
  const { port } = new URL(emulator.url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), "127.0.0.1", () => socket.end(text));
    let received = "";
    socket.on("data", (chunk) => (received += chunk.toString("utf8")));
    socket.on("close", () => resolve(received));
    socket.on("error", () => resolve(received));
  });
}

test("GIVEN a malformed HTTP request line WHEN sent THEN the answer is a 400 envelope", async () => {
  const answer = await rawRequest("THIS IS NOT HTTP\r\n\r\n");

  expect(answer).toMatch(/^HTTP\/1\.1 400/);
  expect(answer).toContain('"errorCode":"ValidationFailed"');
});

test("GIVEN a mix of odd requests WHEN sent THEN each gets a coded answer and the emulator keeps serving", async () => {
  const api = await demoClient(emulator);
  const customerId = await api.createCustomer();
  const odd: Array<[string, string, string | undefined]> = [
    ["DELETE", "/customers", undefined],
    ["PATCH", `/customers/${customerId}`, "null"],
    ["PATCH", `/customers/${customerId}`, "[]"],
    ["PATCH", `/customers/${customerId}`, '[{"op":"move","path":"/name","from":"/x"}]'],
    ["PATCH", `/customers/${customerId}`, '[{"op":"replace","path":"/enabled","value":"yes"}]'],
    ["POST", `/customers/${customerId}/users`, '{"email":42,"displayName":[],"roles":"x"}'],
    ["POST", `/customers/${customerId}/users`, '"just a string"'],
    ["POST", "/accessrequests", '{"name":{},"associations":[{"userIds":["x"],"tenantIds":[],"mode":"root"}]}'],
    ["GET", "/customers?pageIndex=1e9999&pageSize=%zz", undefined],
    ["POST", `/customers/${customerId}/impersonate`, "{}"],
    ["OPTIONS", "/customers", undefined],
  ];

  const answers = await Promise.all(odd.map(([method, path, raw]) => api.call(method, path, undefined, { raw, headers: raw ? { "content-type": "application/json" } : {} })));

  for (const answer of answers) {
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    expect(answer.body).toMatchObject({ status: "error", errorCode: expect.any(String) });
  }
  expect((await call(emulator, "GET", "/_emulator/stats")).status).toBe(200);
});
