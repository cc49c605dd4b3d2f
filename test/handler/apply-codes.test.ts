/**
 * One registry for the codes the handler prints (contracts/apply-codes), generated into
 * docs/rules.md: GIVEN the handler's sources, THEN every code it raises is registered.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { APPLY_CODES } from "../../src/contracts/apply-codes";

const HANDLER = path.resolve(__dirname, "../../src/handler");
const RECONCILE = path.resolve(__dirname, "../../src/reconcile");

function sources(dir: string): string {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".ts"))
    .map((f) => fs.readFileSync(path.join(dir, f), "utf8"))
    .join("\n");
}

test("every code the handler raises is in the apply-time registry", () => {
  const raised = [...sources(HANDLER).matchAll(/new HandlerError\(\s*"([A-Za-z]+)"/g)].map((m) => m[1]);
  const planned = [...sources(RECONCILE).matchAll(/code: "([A-Za-z]+)"/g)].map((m) => m[1]);
  expect(raised.length).toBeGreaterThan(10);
  expect(planned).toEqual(expect.arrayContaining(["UserNotFound", "PrimaryAdminKept", "PbxUserKept", "UndeclaredUserRevoked"]));
  expect([...new Set([...raised, ...planned])].filter((code) => !(code in APPLY_CODES))).toEqual([]);
});

test("H1, H7 and H8 each have an apply-time registry entry naming their rule", () => {
  expect(APPLY_CODES.LastAdminGuard.rule).toBe("H1");
  expect(APPLY_CODES.PbxUserKept.rule).toBe("H7");
  expect(APPLY_CODES.UndeclaredUserRevoked.rule).toBe("H8");
});
