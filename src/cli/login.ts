/**
 * `dimensions login [--no-browser] [--port N] [--timeout S] [--login-hint E] [--region R]`: signs a
 * partner user in with the vendor's authorization-code flow (API contract §2) and keeps the
 * credentials in the credentials store, where `terraform apply`, `dimensions token` and every
 * other command find them — no refresh token in the environment needed afterwards.
 *
 * It listens on 127.0.0.1 only (default port 8000: the vendor's registered redirect URI
 * http://127.0.0.1:8000) and prints a loopback address, `/sign-in/<random>`, that forwards the
 * browser to the identity host's sign-in page: the printed line carries no client id, state or
 * challenge.
 * The sign-in comes back to `/`; an answer whose `state` is not this attempt's is refused and
 * changes nothing (a forged or stale callback cannot end the real sign-in nor store anything).
 * The wait is bounded (`--timeout`, default 300 s, the vendor's code lifetime).
 */
import { spawn } from "node:child_process";
import { randomBytes, timingSafeEqual } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { Command, InvalidArgumentError, Option } from "commander";
import { REGIONS } from "../contracts/handler";
import {
  LoginError,
  authorizationUrl,
  exchangeAuthorizationCode,
  newSignInAttempt,
  signInConfigFromEnv,
  type SignInAttempt,
  type SignInConfig,
  type SignedInIdentity,
} from "../client/sign-in";
import { execute, withAction, type CommandIo } from "./command-line";

/** The vendor's registered redirect URI is http://127.0.0.1:8000 (§2). */
export const DEFAULT_LOGIN_PORT = 8000;
export const DEFAULT_LOGIN_TIMEOUT_SECONDS = 300;
const LISTEN_HOST = "127.0.0.1";
const SIGN_IN_PATH = "/sign-in";

export interface LoginDeps extends CommandIo {
  readonly env: NodeJS.ProcessEnv;
  /**
   * Opens the address in a browser; resolves to why it could not, or undefined.
   * @default the platform's opener (xdg-open, open, rundll32), never failing when there is none
   */
  readonly openBrowser?: (address: string) => Promise<string | undefined>;
  /** Called once the listener is up (tests check where it is bound). */
  readonly onListening?: (address: AddressInfo) => void;
}

interface LoginOptions {
  readonly browser: boolean;
  readonly port: number;
  readonly timeout: number;
  readonly loginHint?: string;
  readonly region?: string;
}

function port(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError("--port must be an integer between 0 and 65535.");
  return n;
}

function seconds(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < 1 || n > 3600) throw new InvalidArgumentError("--timeout must be whole seconds from 1 to 3600.");
  return n;
}

export function loginCommand(deps: LoginDeps): Command {
  const command = new Command("login")
    .summary("sign in with the vendor's authorization-code flow and keep the credentials in the credentials store")
    .description(
      "Signs a partner user in (OAuth 2.0 authorization code with state and PKCE, scope openid offline_access onboarding) with the reseller's client " +
        "(DIMENSIONS_CLIENT_ID, DIMENSIONS_CLIENT_SECRET, DIMENSIONS_TOKEN_URL), listening on 127.0.0.1 for the answer, and stores the credentials " +
        "where terraform apply and dimensions token find them (the PostgreSQL database of DIMENSIONS_CREDENTIALS_URL, else the file DIMENSIONS_CREDENTIALS_FILE). Prints who signed in.",
    )
    .option("--no-browser", "only print the address to open; do not start a browser")
    .option("--port <n>", `port on 127.0.0.1 the sign-in comes back to (redirect URI http://127.0.0.1:<n>); 0 picks a free one`, port, DEFAULT_LOGIN_PORT)
    .option("--timeout <seconds>", "how long to wait for the sign-in", seconds, DEFAULT_LOGIN_TIMEOUT_SECONDS)
    .option("--login-hint <email>", "the e-mail of the partner user who signs in (pre-filled on the sign-in page)")
    .addOption(new Option("--region <region>", "use that region's variables (DIMENSIONS_CLIENT_ID_UK, …), as a stack of the region does").choices(REGIONS));
  return withAction(command, (values: LoginOptions) => login(values, deps));
}

export function runLogin(argv: string[], deps: LoginDeps): Promise<number> {
  return execute(loginCommand(deps), argv, deps);
}

async function login(options: LoginOptions, deps: LoginDeps): Promise<number> {
  const fail = (e: unknown): number => {
    const err = e as Error & { code?: string };
    deps.err(`dimensions login: ${err.code ? `${err.code}: ` : ""}${err.message.replace(/^\w+: /, "")}`);
    return 1;
  };
  let config: SignInConfig;
  try {
    config = signInConfigFromEnv(deps.env, options.region, (line) => deps.err(`dimensions login: ${line}`));
  } catch (e) {
    return fail(e);
  }
  const attempt = newSignInAttempt();
  let listener: Listener;
  try {
    listener = await listen(options.port);
  } catch (e) {
    return fail(e);
  }
  try {
    deps.onListening?.(listener.address);
    const redirectUri = `http://${LISTEN_HOST}:${listener.address.port}`;
    // The forward reveals the state and challenge to whoever follows it: a random path keeps that
    // to whoever reads the terminal, not every local process that can reach 127.0.0.1.
    const signInPath = `${SIGN_IN_PATH}/${randomBytes(12).toString("base64url")}`;
    const address = `${redirectUri}${signInPath}`;
    const identityHost = new URL(config.authorizeUrl).host;
    deps.out(`Sign in to ${identityHost} in a browser; this address takes you there:`);
    deps.out(`  ${address}`);
    deps.out(`Waiting up to ${options.timeout} s for the sign-in to come back to ${redirectUri} (Ctrl-C to stop).`);
    if (options.browser) {
      const why = await (deps.openBrowser ?? ((a: string) => openWithPlatform(a, deps.env)))(address);
      if (why) deps.out(`Could not open a browser (${why}); open the address above by hand.`);
    }
    const flow = new SignInFlow(signInPath, config, attempt, redirectUri, authorizationUrl(config, attempt, redirectUri, options.loginHint), deps);
    const identity = await listener.serve(flow, options.timeout * 1000);
    deps.out(`Signed in as ${describe(identity)}; the credentials are in ${config.store.location}.`);
    for (const note of overrides(deps.env, options.region)) deps.out(note);
    return 0;
  } catch (e) {
    return fail(e);
  } finally {
    await listener.close();
  }
}

function describe(identity: SignedInIdentity): string {
  return identity.name && identity.name !== identity.user ? `${identity.name} <${identity.user}>` : identity.user;
}

/** Settings that would make later runs use other credentials than this sign-in's. */
function overrides(env: NodeJS.ProcessEnv, region: string | undefined): string[] {
  const names = region ? [`DIMENSIONS_ACCESS_TOKEN_${region.toUpperCase()}`, "DIMENSIONS_ACCESS_TOKEN"] : ["DIMENSIONS_ACCESS_TOKEN"];
  const set = names.find((name) => env[name]?.trim());
  return set ? [`Note: ${set} is set in this environment; commands started with it use that token instead of this sign-in.`] : [];
}

// ---------------------------------------------------------------------------------------------
// The answer's handling: one attempt, one state, one exchange.

type Outcome = { readonly identity: SignedInIdentity } | { readonly error: Error };

class SignInFlow {
  /** Set once an answer with this attempt's state arrived: later answers change nothing. */
  private answered = false;

  constructor(
    /** Only whoever reads the terminal learns it, so only they can start this attempt's sign-in. */
    readonly signInPath: string,
    private readonly config: SignInConfig,
    private readonly attempt: SignInAttempt,
    private readonly redirectUri: string,
    private readonly authorizeUrl: string,
    private readonly io: CommandIo,
  ) {}

  get exchanging(): boolean {
    return this.answered;
  }

  /** Answers one request to the listener; an Outcome ends the sign-in. */
  async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<Outcome | undefined> {
    let url: URL;
    try {
      url = new URL(req.url ?? "/", this.redirectUri);
    } catch {
      page(res, 400, "Malformed request.");
      return undefined;
    }
    if (req.method !== "GET") {
      page(res, 405, "Only GET is served here.", { allow: "GET" });
      return undefined;
    }
    if (url.pathname === this.signInPath) {
      if (this.answered) page(res, 409, "This sign-in has already come back; return to the terminal.");
      else res.writeHead(302, { location: this.authorizeUrl, "cache-control": "no-store", connection: "close" }).end();
      return undefined;
    }
    if (url.pathname !== "/") {
      page(res, 404, "Not found.");
      return undefined;
    }
    const q = url.searchParams;
    if (!sameSecret(q.get("state"), this.attempt.state)) {
      // Refused and forgotten: it neither ends the sign-in in progress nor reaches the store.
      page(res, 400, "Refused: this answer does not belong to the sign-in in progress.");
      this.io.err(
        "dimensions login: LoginStateMismatch: refused an answer whose state is not this sign-in's (forged, or from an older attempt); still waiting for the sign-in",
      );
      return undefined;
    }
    if (this.answered) {
      page(res, 409, "This sign-in has already come back; return to the terminal.");
      return undefined;
    }
    this.answered = true;
    const error = q.get("error");
    if (error !== null) {
      const description = q.get("error_description");
      page(res, 400, "The sign-in was refused; the terminal says why.");
      return { error: new LoginError("LoginDenied", `the identity provider refused the sign-in (${clip(error)}${description ? `: ${clip(description)}` : ""}); nothing was stored`) };
    }
    const code = q.get("code");
    if (!code) {
      page(res, 400, "The answer carries no code; the terminal says why.");
      return { error: new LoginError("LoginCallbackInvalid", "the identity provider's answer carries neither a code nor an error; nothing was stored") };
    }
    try {
      const result = await exchangeAuthorizationCode(this.config, this.attempt, code, this.redirectUri);
      await this.config.store.storeSignIn(result.tokens);
      page(res, 200, `Signed in as ${describe(result.identity)}. You can close this tab.`);
      return { identity: result.identity };
    } catch (e) {
      page(res, 400, "The sign-in could not be completed; the terminal says why.");
      return { error: e as Error };
    }
  }
}

/** Constant-time, so the state cannot be guessed one character at a time. */
function sameSecret(presented: string | null, expected: string): boolean {
  if (presented === null) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** An error code from the identity provider, printed: short, one line. */
function clip(text: string): string {
  const line = text.replace(/[\r\n\t]+/g, " ").trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

function page(res: http.ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  const escaped = message.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const body = `<!doctype html><meta charset="utf-8"><title>dimensions login</title><p>${escaped}</p>\n`;
  res
    .writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", connection: "close", ...headers })
    .end(body);
}

// ---------------------------------------------------------------------------------------------
// The listener

interface Listener {
  readonly address: AddressInfo;
  /** Resolves with who signed in, or rejects (timeout, refusal, exchange failure). */
  serve(flow: SignInFlow, timeoutMs: number): Promise<SignedInIdentity>;
  close(): Promise<void>;
}

async function listen(portNumber: number): Promise<Listener> {
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EADDRINUSE") {
        reject(
          new LoginError(
            "LoginPortInUse",
            `port ${portNumber} on ${LISTEN_HOST} is in use; stop what holds it or pass --port N (the identity provider must accept http://${LISTEN_HOST}:N as redirect URI)`,
          ),
        );
      } else {
        reject(new LoginError("LoginListenFailed", `cannot listen on ${LISTEN_HOST}:${portNumber} (${err.code ?? err.message})`));
      }
    });
    // 127.0.0.1 only: nothing on another interface can answer in the user's name.
    server.listen(portNumber, LISTEN_HOST, () => resolve());
  });
  const address = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    address,
    serve(flow, timeoutMs) {
      return new Promise<SignedInIdentity>((resolve, reject) => {
        const timer = setTimeout(() => {
          if (flow.exchanging) return; // the answer arrived: the exchange has its own bound
          server.removeAllListeners("request");
          reject(
            new LoginError(
              "LoginTimeout",
              `no sign-in came back to http://${LISTEN_HOST}:${address.port} within ${Math.round(timeoutMs / 1000)} s; nothing was stored. Run dimensions login again (--timeout to wait longer)`,
            ),
          );
        }, timeoutMs);
        server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
          flow.handle(req, res).then(
            (outcome) => {
              if (!outcome) return;
              clearTimeout(timer);
              if ("identity" in outcome) resolve(outcome.identity);
              else reject(outcome.error);
            },
            (err: unknown) => {
              clearTimeout(timer);
              reject(err instanceof Error ? err : new Error(String(err)));
            },
          );
        });
      });
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The browser

/** The platform's opener, detached; its absence (no xdg-open on a server) is a note, never a failure. */
export function openWithPlatform(address: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const [command, args] =
    process.platform === "darwin"
      ? ["open", [address]]
      : process.platform === "win32"
        ? ["rundll32", ["url.dll,FileProtocolHandler", address]]
        : ["xdg-open", [address]];
  return new Promise((resolve) => {
    try {
      const child = spawn(command, args, { stdio: "ignore", detached: true, env });
      child.once("error", (err: NodeJS.ErrnoException) => resolve(err.code === "ENOENT" ? `${command} is not installed` : `${command}: ${err.code ?? err.message}`));
      child.once("spawn", () => {
        child.unref();
        resolve(undefined);
      });
    } catch (err) {
      resolve(`${command}: ${(err as Error).message}`);
    }
  });
}
