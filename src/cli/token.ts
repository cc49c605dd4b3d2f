/**
 * `dimensions token`: prints a valid access token from the credentials store the environment
 * selects (credentialsStoreFromEnv: PostgreSQL or the file) — the one every handler process
 * uses — refreshing it under the store's lock when it expired (refresh tokens
 * rotate: a refresh here is shared with, never wasted for, the processes that follow). For
 * scripts and CI steps that call the API themselves. The token goes to stdout only; nothing else
 * is printed on success.
 */
import { Command, Option } from "commander";
import { createTokenProviderFromEnv } from "../client";
import { ENV, REGIONS, type Region } from "../contracts/handler";
import { execute, withAction, type CommandIo } from "./command-line";

export function tokenCommand(env: NodeJS.ProcessEnv, io: CommandIo): Command {
  const command = new Command("token")
    .summary("print a valid access token from the credentials store (refreshed under its lock when expired)")
    .description(
      `Prints a valid access token for scripts and CI steps: ${ENV.accessToken} as is, or the token of the credentials store (the PostgreSQL database of ${ENV.credentialsUrl}, else the file ${ENV.credentialsFile}), refreshed under its lock when it expired, with ${ENV.clientId}, ${ENV.clientSecret} and the rotating refresh token.`,
    )
    .option("--header", 'print it as an HTTP header line: "Authorization: Bearer <token>"')
    .addOption(new Option("--region <region>", "use that region's variables (DIMENSIONS_CLIENT_ID_UK, …), as a stack of the region and `dimensions login --region` do").choices(REGIONS));
  return withAction(command, async () => {
    try {
      const options = command.opts<{ header?: boolean; region?: Region }>();
      const value = await createTokenProviderFromEnv(env, options.region ? { region: options.region } : {}).getToken();
      io.out(options.header ? `Authorization: Bearer ${value}` : value);
      return 0;
    } catch (e) {
      const err = e as Error & { code?: string };
      io.err(`dimensions token: ${err.code ? `${err.code}: ` : ""}${err.message.replace(/^\w+: /, "")}`);
      return 1;
    }
  });
}

export function runToken(argv: string[], env: NodeJS.ProcessEnv, io: CommandIo): Promise<number> {
  return execute(tokenCommand(env, io), argv, io);
}
