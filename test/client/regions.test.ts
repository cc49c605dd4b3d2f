/**
 * Each stack's endpoint follows its region: DIMENSIONS_API_URL_<REGION>, then DIMENSIONS_API_URL,
 * then the stack's apiUrl, then the vendor's URL for the region; credentials may differ per region
 * the same way. The client says which setting chose the endpoint (every handler run prints it).
 */
import { createClientFromEnv } from "../../src/client";

const BOTH = { DIMENSIONS_API_URL: "http://127.0.0.1:1111", DIMENSIONS_API_URL_UK: "http://127.0.0.1:2222", DIMENSIONS_ACCESS_TOKEN: "token-shared-123456" };

test("GIVEN a UK stack and both variables WHEN the client is built THEN the UK one wins and is named", () => {
  expect(createClientFromEnv(BOTH, { region: "uk" }).endpoint).toEqual({ url: "http://127.0.0.1:2222", source: "DIMENSIONS_API_URL_UK" });
});

test("GIVEN an EU stack and the same variables WHEN the client is built THEN the shared variable applies", () => {
  expect(createClientFromEnv(BOTH, { region: "eu" }).endpoint).toEqual({ url: "http://127.0.0.1:1111", source: "DIMENSIONS_API_URL" });
});

test("GIVEN no variable WHEN the client is built THEN the stack's apiUrl, else the region's vendor URL, and it says so", () => {
  const env = { DIMENSIONS_ACCESS_TOKEN: "token-shared-123456" };
  expect(createClientFromEnv(env, { apiUrl: "https://api.partner.test" }).endpoint).toEqual({ url: "https://api.partner.test", source: "the stack's apiUrl" });
  expect(createClientFromEnv(env, { region: "uk" }).endpoint).toEqual({ url: "https://api.uk.myreports.cloud", source: "region uk" });
});

test("GIVEN credentials of the UK only WHEN an EU client is built THEN it has none: each region's credentials stay its own", () => {
  const env = { DIMENSIONS_API_URL: "http://127.0.0.1:1111", DIMENSIONS_ACCESS_TOKEN_UK: "token-uk-123456" };
  expect(() => createClientFromEnv(env, { region: "eu" })).toThrow(/CredentialsMissing|no API credentials/);
  expect(createClientFromEnv(env, { region: "uk" }).endpoint.url).toBe("http://127.0.0.1:1111");
});
