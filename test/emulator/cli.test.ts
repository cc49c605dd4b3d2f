/**
 * `dimensions emulator [--port N] [--data FILE] [--json] [--region R]` (api-contract §6).
 */
import { runEmulatorCli } from "../../src/emulator/main";

async function run(argv: string[]): Promise<{ lines: string[]; stop: () => Promise<void> }> {
  const lines: string[] = [];
  const controller = new AbortController();
  let ready!: () => void;
  const listening = new Promise<void>((resolve) => (ready = resolve));
  const finished = runEmulatorCli(argv, { write: (line) => lines.push(line), signal: controller.signal, onReady: () => ready() });
  await Promise.race([listening, finished]);
  return {
    lines,
    stop: async () => {
      controller.abort();
      await finished;
    },
  };
}

test("GIVEN --json WHEN the emulator starts THEN it prints one JSON line whose demo credentials get a token", async () => {
  const { lines, stop } = await run(["--json", "--port", "0"]);
  try {
    expect(lines).toHaveLength(1);
    const info = JSON.parse(lines[0]) as Record<string, string>;
    expect(Object.keys(info)).toEqual(["url", "tokenUrl", "clientId", "clientSecret", "refreshToken"]);
    expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(info.tokenUrl).toBe(`${info.url}/connect/token`);

    const token = await fetch(info.tokenUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: info.refreshToken, client_id: info.clientId, client_secret: info.clientSecret }),
    });
    expect(token.status).toBe(200);
  } finally {
    await stop();
  }
});

test("GIVEN no --json WHEN the emulator starts THEN it prints a readable banner with the URL and the demo client id", async () => {
  const { lines, stop } = await run([]);
  try {
    const banner = lines.join("\n");
    expect(banner).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/);
    expect(banner).toContain("DIMENSIONS_CLIENT_ID=");
    expect(banner).toContain("/connect/token");
  } finally {
    await stop();
  }
});

test("GIVEN a running emulator WHEN it is stopped THEN it no longer answers", async () => {
  const { lines, stop } = await run(["--json"]);
  const { url } = JSON.parse(lines[0]) as { url: string };

  await stop();

  await expect(fetch(`${url}/_emulator/stats`)).rejects.toThrow();
});

test("GIVEN an invalid --port WHEN the emulator starts THEN it fails with a message", async () => {
  await expect(runEmulatorCli(["--port", "http"])).rejects.toThrow(/--port/);
});

test("GIVEN an unknown option WHEN the emulator starts THEN it fails", async () => {
  await expect(runEmulatorCli(["--bogus"])).rejects.toThrow();
});

test("U10: GIVEN --region uk WHEN the emulator starts THEN the banner names the region and the emulator plays it", async () => {
  const { lines, stop } = await run(["--region", "uk", "--port", "0"]);
  try {
    const banner = lines.join("\n");
    expect(banner).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+ \(region uk\)/);
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(banner)![1];
    const state = (await (await fetch(`${url}/_emulator/state`)).json()) as { region: string };
    expect(state.region).toBe("uk");
  } finally {
    await stop();
  }
});

test("GIVEN no --region WHEN the emulator starts THEN it plays the EU", async () => {
  const { lines, stop } = await run(["--json"]);
  try {
    const { url } = JSON.parse(lines[0]) as { url: string };
    const state = (await (await fetch(`${url}/_emulator/state`)).json()) as { region: string };
    expect(state.region).toBe("eu");
  } finally {
    await stop();
  }
});

test("GIVEN an unknown --region WHEN the emulator starts THEN it fails naming the regions it plays", async () => {
  await expect(runEmulatorCli(["--region", "mars"])).rejects.toThrow(/--region.*'mars' is invalid.*au, eu, na, uk/);
});
