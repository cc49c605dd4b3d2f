/**
 * The licence report (U9): at synth, each DimensionsStack writes `dimensions.licenses.json` beside
 * its cdk.tf.json — the licensed roles the code grants per customer (count and users per role, with
 * the role's readable name), so a reviewer sees what a change costs (`dimensions licenses`, which
 * also compares it with the live API). Built from the same payloads the resources render, so the
 * report counts exactly what is applied.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { IConstruct } from "constructs";
import { findRole, ROLE_CATALOGUE } from "../../catalogue/roles";
import { LICENSES_FILE, LICENSES_VERSION, type CustomerLicenses, type LicenseReport } from "../../contracts/licenses";
import { AnnotationMetadataEntryType, type ISynthesisSession, type TerraformStack } from "../../framework";
import type { StackState } from "./internals";
import { customersOf, userEntryOf, usersOf } from "./payloads";
import { stableStringify } from "./synth";

const CATALOGUE_ORDER = new Map(ROLE_CATALOGUE.map((r, i) => [r.key, i]));
const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function buildLicenseReport(stack: StackState, tfStack: TerraformStack): LicenseReport {
  const customers: CustomerLicenses[] = customersOf(stack).map((customer) => {
    const holders = new Map<string, string[]>();
    const users = usersOf(customer)
      .map((user) => {
        const entry = userEntryOf(user);
        const email = user.email.toLowerCase();
        const licensed = entry.roles.filter((r) => findRole(r)?.licensed).sort(byString);
        for (const role of licensed) holders.set(role, [...(holders.get(role) ?? []), email]);
        return { email, management: entry.management ?? ("exact" as const), licensed };
      })
      .sort((a, b) => byString(a.email, b.email));
    const roles = [...holders.entries()]
      .sort(([a], [b]) => (CATALOGUE_ORDER.get(a) ?? 0) - (CATALOGUE_ORDER.get(b) ?? 0))
      .map(([key, emails]) => {
        const role = findRole(key);
        return { key, name: role?.name ?? key, assignment: role?.assignment ?? "manual", count: emails.length, users: [...emails].sort(byString) };
      });
    return { reference: customer.reference, owned: customer.owned, grants: roles.reduce((n, r) => n + r.count, 0), roles, users };
  });
  customers.sort((a, b) => byString(a.reference, b.reference));
  return { version: LICENSES_VERSION, stack: tfStack.node.id, settings: stack.settings, customers };
}

function hasErrors(stack: IConstruct): boolean {
  return stack.node.findAll().some((n) => n.node.metadata.some((m) => m.type === AnnotationMetadataEntryType.ERROR));
}

/**
 * Writes the report beside the stack's Terraform JSON (like the manifest). Skipped when the synth
 * is failing, so a report never describes a configuration that was not produced.
 */
export function writeLicenseReport(stack: StackState, tfStack: TerraformStack, session: ISynthesisSession): void {
  if (hasErrors(tfStack)) return;
  const dir = path.join(session.outdir, session.manifest.forStack(tfStack).workingDirectory);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, LICENSES_FILE), stableStringify(buildLicenseReport(stack, tfStack)));
}
